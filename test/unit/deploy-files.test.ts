// The production deployment files: docker-compose.yml, Dockerfile, .dockerignore and deploy/
// (docs/operations/production.md). Static checks, plus `docker-compose config` when docker-compose is
// installed (skipped with a reason on a developer machine without it, a failure in CI).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { alertSettingsFromEnv } from '../../src/common/alert-settings.js';
import { allSearchAttributeKeys } from '../../src/common/search-attributes.js';
import { signingSettingsFromEnv } from '../../src/common/signing-page-settings.js';
import { devServerDynamicConfigArgs, serverDynamicConfig } from '../../src/common/server-settings.js';
import { repoRoot } from '../helpers/paths.js';

const read = (...p: string[]) => readFileSync(join(repoRoot, ...p), 'utf8');
// docker-compose.yml shares settings through YAML anchors and `<<` merge keys, as compose does.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any>; secrets?: Record<string, any> };
const services = Object.entries(compose.services);
const dockerfile = read('Dockerfile');

/** A compose environment as [name, value] pairs (mapping or `NAME=value` list). */
function envOf(service: any): [string, string][] {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return env.map((e: string) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]);
  return Object.entries(env).map(([k, v]) => [k, String(v)]);
}
const envValue = (service: any, name: string) => envOf(service).find(([k]) => k === name)?.[1];
const commandText = (service: any) => [service.entrypoint, service.command].flat().filter(Boolean).join(' ');
/** The production workers (not the sandbox profile's). */
const workersOf = () => services.filter(([, s]) => commandText(s).includes('dist/src/worker/main.js') && !s.profiles);
/** `${VAR:-default}` as compose resolves it when VAR is unset. */
const withDefaults = (s: string) => s.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');

// --- (a) docker-compose config -------------------------------------------------------------------
function composeOrSkip(t: TestContext): string[] | undefined {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    if (spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { encoding: 'utf8' }).status === 0) return cmd;
  }
  const reason = 'docker-compose is not installed (Debian: apt-get install docker-compose), so `docker-compose config` was not run';
  if (process.env.CI) throw new Error(reason);
  console.log(`# SKIP: ${reason}`);
  t.skip(reason);
  return undefined;
}

/** A copy of the compose project with every `.example` file in place, as an operator would set it up. */
function exampleProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustflow-compose-'));
  copyFileSync(join(repoRoot, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  cpSync(join(repoRoot, 'deploy'), join(dir, 'deploy'), { recursive: true });
  for (const f of readdirSync(join(dir, 'deploy', 'env')).filter((f) => f.endsWith('.example'))) {
    copyFileSync(join(dir, 'deploy', 'env', f), join(dir, 'deploy', 'env', f.replace(/\.example$/, '')));
  }
  mkdirSync(join(dir, 'secrets'));
  for (const f of readdirSync(join(repoRoot, 'secrets')).filter((f) => f.endsWith('.example'))) {
    copyFileSync(join(repoRoot, 'secrets', f), join(dir, 'secrets', f.replace(/\.example$/, '')));
  }
  mkdirSync(join(dir, 'keys'));
  copyFileSync(join(repoRoot, 'deploy', 'env', 'compose.env.example'), join(dir, '.env'));
  return dir;
}

describe('docker-compose.yml', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const profile of [[], ['--profile', 'sandbox'], ['--profile', 'signing-page']]) {
    it(`passes \`docker-compose config\` with the example env files and secrets${profile.length ? ` (profile ${profile[1]})` : ''}`, (t) => {
      const cmd = composeOrSkip(t);
      if (!cmd) return;
      const dir = exampleProject();
      dirs.push(dir);
      const env = { ...process.env };
      for (const k of Object.keys(env)) if (k.startsWith('COMPOSE_')) delete env[k];
      const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...profile, '-f', 'docker-compose.yml', 'config', '-q'], {
        cwd: dir,
        env,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${cmd.join(' ')} config failed:\n${r.stderr}${r.stdout}`);
    });
  }

  it('`docker-compose config` of a fresh clone (no .env, no secrets, no keys) stops on the alert secret alone, naming it', (t) => {
    const cmd = composeOrSkip(t);
    if (!cmd) return;
    const dir = mkdtempSync(join(tmpdir(), 'trustflow-compose-bare-'));
    dirs.push(dir);
    copyFileSync(join(repoRoot, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
    cpSync(join(repoRoot, 'deploy'), join(dir, 'deploy'), { recursive: true });
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('COMPOSE_') || /^(TEMPORAL|TRUSTFLOW|OTEL|GRAFANA)_/.test(k)) delete env[k];
    const config = (more: NodeJS.ProcessEnv) =>
      spawnSync(cmd[0]!, [...cmd.slice(1), '-f', 'docker-compose.yml', 'config'], { cwd: dir, env: { ...env, ...more }, encoding: 'utf8' });
    const r = config({});
    assert.equal(r.status, 0, `${cmd.join(' ')} config failed without .env:\n${r.stderr}`);
  });

  it('gives every production worker the alert settings from .env, and the example .env a secret the worker refuses', () => {
    for (const [name, s] of workersOf()) {
      // Passed on as given: the worker's start check (alert-settings.ts) refuses a webhook URL with a
      // blank, short or example secret, naming the variable; without a URL alerts go to the log only.
      assert.equal(envValue(s, 'TRUSTFLOW_ALERT_WEBHOOK_SECRET'), '${TRUSTFLOW_ALERT_WEBHOOK_SECRET}', name);
      assert.equal(envValue(s, 'TRUSTFLOW_ALERT_WEBHOOK_URL'), '${TRUSTFLOW_ALERT_WEBHOOK_URL:-}', name);
    }
    const example = /^TRUSTFLOW_ALERT_WEBHOOK_SECRET=(.*)$/m.exec(read('deploy', 'env', 'compose.env.example'))?.[1] ?? '';
    assert.ok(example !== '', 'the example sets a (placeholder) value, so `config` of the examples passes');
    assert.throws(
      () =>
        alertSettingsFromEnv({ TRUSTFLOW_ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook', TRUSTFLOW_ALERT_WEBHOOK_SECRET: example }),
      /TRUSTFLOW_ALERT_WEBHOOK_SECRET is a placeholder/,
      'a worker started with the example .env refuses it',
    );
    const sandboxWorker = services.find(([, s]) => s.profiles?.includes('sandbox') && commandText(s).includes('dist/src/worker/main.js'))!;
    assert.equal(
      envValue(sandboxWorker[1], 'TRUSTFLOW_ALERT_WEBHOOK_SECRET'),
      undefined,
      'the sandbox worker has no production alert settings',
    );
  });

  it("runs the signing page in profile signing-page behind the proxy, with the workers' signing settings; the example key is refused", () => {
    const [name, page] = services.find(([, s]) => commandText(s).includes('signing-server'))!;
    assert.equal(name, 'signing-page');
    assert.deepEqual(page.profiles, ['signing-page'], 'only when asked for: not every deployment has person signers');
    assert.match(commandText(page), /bin\/trustflow\.js signing-server --listen 0\.0\.0\.0:8443 --behind-proxy/);
    assert.equal(envValue(page, 'TEMPORAL_ADDRESS'), 'temporal:7233');
    assert.equal(envValue(page, 'TRUSTFLOW_CODEC_KEY_FILE'), '/run/secrets/codec_keys');
    assert.ok(page.secrets.includes('codec_keys'), 'the codec keys: the signatures it submits are encrypted');
    assert.ok(page.healthcheck?.test.join(' ').includes('/healthz'), "a healthcheck of its own (the image's asks for metrics)");
    assert.ok(
      page.ports.some((p: string) => p.startsWith('${TRUSTFLOW_SIGNING_PAGE_BIND:-127.0.0.1}:')),
      'published on loopback by default',
    );
    for (const [w, s] of [[name, page], ...workersOf()] as [string, any][]) {
      assert.equal(envValue(s, 'TRUSTFLOW_SIGNING_PAGE_URL'), '${TRUSTFLOW_SIGNING_PAGE_URL:-}', w);
      assert.equal(envValue(s, 'TRUSTFLOW_SIGNING_LINK_KEY'), '${TRUSTFLOW_SIGNING_LINK_KEY}', w);
    }
    const example = read('deploy', 'env', 'compose.env.example');
    const url = /^TRUSTFLOW_SIGNING_PAGE_URL=(.*)$/m.exec(example)?.[1] ?? '';
    const key = /^TRUSTFLOW_SIGNING_LINK_KEY=(.*)$/m.exec(example)?.[1] ?? '';
    assert.ok(url.startsWith('https://') && key !== '', 'the example sets both (placeholders)');
    assert.throws(
      () => signingSettingsFromEnv({ TRUSTFLOW_SIGNING_PAGE_URL: url, TRUSTFLOW_SIGNING_LINK_KEY: key }),
      /TRUSTFLOW_SIGNING_LINK_KEY is a placeholder/,
      'a worker or signing page started with the example .env refuses it',
    );
  });

  it('reads no env_file (a missing one fails `docker-compose config`), and has an .example for every secret', () => {
    for (const [name, s] of services) assert.equal(s.env_file, undefined, `${name}: settings come from .env as \${VAR}, not an env_file`);
    for (const [name, s] of Object.entries(compose.secrets ?? {})) {
      assert.match(s.file, /^\.\/secrets\//, `secret ${name} lives under ./secrets`);
      assert.ok(existsSync(join(repoRoot, `${s.file}.example`)), `secret ${name}: ${s.file}.example`);
    }
  });

  // --- (b) pinned images ---------------------------------------------------------------------------
  // An exact release: at least major.minor (postgres numbers its releases so), optional suffix and digest.
  const PINNED = /^[a-z0-9][\w.\-/]*:v?\d+\.\d+(\.\d+)?([-+.][\w.-]+)?(@sha256:[0-9a-f]{64})?$/;
  const pinned = (image: string) => PINNED.test(image) && !/:latest\b/.test(image);

  it('pins every image to an exact version', () => {
    for (const [name, s] of services) {
      assert.ok(s.image, `${name} names its image`);
      assert.ok(pinned(withDefaults(s.image)), `${name}: ${s.image} is not pinned to an exact version`);
    }
    for (const bad of ['postgres:16', 'postgres:latest', 'temporalio/server', 'prom/prometheus:v3', 'node:22-bookworm-slim']) {
      assert.ok(!pinned(bad), `${bad} counts as floating`);
    }
  });

  it('pins every FROM of the Dockerfile to an exact version', () => {
    const stages = new Set<string>();
    const froms = [...dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)];
    assert.ok(froms.length >= 2, 'a multi-stage build');
    for (const [, image, stage] of froms) {
      if (!stages.has(image!)) assert.ok(pinned(image!), `FROM ${image} is not pinned to an exact version`);
      if (stage) stages.add(stage);
    }
  });

  it('runs the schema tool of the same Temporal release as the server', () => {
    const server = compose.services.temporal.image.split(':')[1];
    for (const name of ['temporal-schema', 'temporal-setup']) {
      assert.match(compose.services[name].image, new RegExp(`^temporalio/admin-tools:${server.replace(/\./g, '\\.')}\\b`), name);
    }
  });

  // --- (c) no literal secret ---------------------------------------------------------------------
  const SECRET_NAME = /PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|(^|_)KEYS?(_|$)/;
  const fromElsewhere = (v: string) =>
    /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}$/.test(v) || // ${VAR} or ${VAR:?message}, never a default value
    /^\/run\/secrets\/[\w.-]+$/.test(v) || // a path to a compose secret (…_FILE variables)
    /^(true|false)$/.test(v); // a switch such as TEMPORAL_CODEC_PASS_ACCESS_TOKEN

  it('writes no secret in the compose file: environment values are references, secrets or env files', () => {
    for (const [name, s] of services) {
      for (const [k, v] of envOf(s)) {
        if (SECRET_NAME.test(k)) assert.ok(fromElsewhere(v), `${name}: ${k} must come from a secret, an env_file or \${VAR}, not '${v}'`);
      }
      // Shell assignments in commands take secret values from mounted secrets only.
      for (const m of commandText(s).matchAll(/\b([A-Z0-9_]*(?:PASSWORD|PWD|SECRET|TOKEN)[A-Z0-9_]*)=("?)([^\n]*)/g)) {
        assert.match(m[3]!, /^\$\$?\(cat \/run\/secrets\//, `${name}: ${m[1]} in its command must be read from /run/secrets`);
      }
    }
    // PostgreSQL's password reaches the database, the schema job and the server from one secret.
    assert.equal(envValue(compose.services.postgres, 'POSTGRES_PASSWORD_FILE'), '/run/secrets/postgres_password');
    for (const name of ['postgres', 'temporal-schema', 'temporal'])
      assert.ok(compose.services[name].secrets.includes('postgres_password'), name);
  });

  it('keeps secrets and keys out of the image build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['secrets', 'keys', '.env', 'deploy/env/*.env', '.trustflow', 'node_modules']) assert.ok(ignored.includes(p), p);
  });

  // --- (d) workers and the sandbox -----------------------------------------------------------------
  const runs = (s: any, entry: string) => commandText(s).includes(entry);
  const workers = services.filter(([, s]) => runs(s, 'dist/src/worker/main.js') && !s.profiles);

  it('runs two production workers on one task queue, each with keys, codec keys, metrics and a healthcheck', () => {
    const instances = workers.reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
    assert.ok(instances >= 2, `two worker instances (found ${instances})`);
    const queues = new Set(workers.map(([, s]) => envValue(s, 'TRUSTFLOW_TASK_QUEUE')));
    assert.equal(queues.size, 1, 'every production worker polls the same task queue');
    const prometheus = read('deploy', 'prometheus', 'prometheus.yml');
    for (const [name, s] of workers) {
      assert.equal(envValue(s, 'TRUSTFLOW_METRICS_ADDRESS'), '0.0.0.0:9464', name);
      assert.equal(envValue(s, 'TRUSTFLOW_CODEC_KEY_FILE'), '/run/secrets/codec_keys', name);
      assert.ok(s.secrets.includes('codec_keys'), `${name}: codec_keys secret`);
      assert.ok(
        s.volumes.some((v: string) => /^\.\/keys:[^:]+:ro$/.test(v)),
        `${name}: ./keys mounted read-only`,
      );
      assert.ok(s.healthcheck?.test, `${name}: healthcheck`);
      assert.ok(s.stop_grace_period, `${name}: stop_grace_period above the 10 s drain`);
      if (!s.deploy?.replicas) assert.ok(prometheus.includes(`'${name}:9464'`), `prometheus.yml scrapes ${name}`);
    }
    assert.ok(prometheus.includes("'temporal:8000'"), 'prometheus.yml scrapes the Temporal server');
    assert.equal(envValue(compose.services.temporal, 'PROMETHEUS_ENDPOINT'), '0.0.0.0:8000');
  });

  it('has a sandbox profile: the simulators, and a worker on their network with its own task queue', () => {
    const sandbox = services.find(([, s]) => s.profiles?.includes('sandbox') && runs(s, 'dist/src/sandbox/main.js'));
    assert.ok(sandbox, 'a sandbox service in profile sandbox');
    const sandboxWorker = services.find(([, s]) => s.profiles?.includes('sandbox') && runs(s, 'dist/src/worker/main.js'));
    assert.ok(sandboxWorker, 'a sandbox worker in profile sandbox');
    // The simulators listen on loopback only: their worker must share the sandbox's network namespace.
    assert.equal(sandboxWorker[1].network_mode, `service:${sandbox[0]}`);
    const queue = envValue(sandboxWorker[1], 'TRUSTFLOW_TASK_QUEUE');
    assert.equal(envValue(sandbox[1], 'TRUSTFLOW_TASK_QUEUE'), queue, 'the CLI in the sandbox starts flows on the sandbox worker');
    assert.notEqual(queue, envValue(workers[0]![1], 'TRUSTFLOW_TASK_QUEUE'), 'sandbox flows never reach production workers');
    assert.equal(sandboxWorker[1].env_file, undefined, 'the sandbox worker gets none of the production secrets or alert webhook');
  });

  it('registers every search attribute of src/common/search-attributes.ts, with its type', () => {
    const CLI_TYPE: Record<string, string> = {
      TEXT: 'Text',
      KEYWORD: 'Keyword',
      INT: 'Int',
      DOUBLE: 'Double',
      BOOL: 'Bool',
      DATETIME: 'Datetime',
      KEYWORD_LIST: 'KeywordList',
    };
    const script = commandText(compose.services['temporal-setup']);
    const registered = new Map([...script.matchAll(/--name\s+(\w+)\s+--type\s+(\w+)/g)].map((m) => [m[1], m[2]]));
    for (const key of allSearchAttributeKeys) assert.equal(registered.get(key.name), CLI_TYPE[key.type], key.name);
    assert.equal(registered.size, allSearchAttributeKeys.length, 'no search attribute trustflow does not define');
  });

  it('sets the history shard count explicitly', () => {
    assert.match(envValue(compose.services.temporal, 'NUM_HISTORY_SHARDS') ?? '', /^\d+$/);
  });
});

describe('Dockerfile', () => {
  it('builds a non-root worker image with prebundled workflows, a healthcheck and the production command', () => {
    assert.match(dockerfile, /apt-get install[^\n]*--no-install-recommends[^\n]*libengine-gost-openssl/);
    assert.match(dockerfile, /npm ci\b/);
    assert.match(dockerfile, /node scripts\/bundle-workflows\.mjs dist\/workflow-bundle\.js/);
    assert.match(dockerfile, /TRUSTFLOW_WORKFLOW_BUNDLE=\/app\/dist\/workflow-bundle\.js/);
    assert.match(dockerfile, /npm prune --omit=dev/);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    assert.ok(users.length > 0 && !['root', '0'].includes(users.at(-1)!), 'runs as a non-root user');
    assert.match(dockerfile, /^HEALTHCHECK\s/m);
    assert.match(dockerfile, /^CMD \["node", "dist\/src\/worker\/main\.js"\]$/m);
  });
});

// --- (e) dashboards ----------------------------------------------------------------------------------
const SDK_METRICS = [
  'temporal_workflow_completed',
  'temporal_workflow_failed',
  'temporal_workflow_endtoend_latency',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_activity_execution_latency',
  'temporal_activity_execution_failed',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_request',
  'temporal_request_failure',
];
const TRUSTFLOW_METRICS = [
  'trustflow_flows_started',
  'trustflow_flows_completed',
  'trustflow_flow_duration',
  'trustflow_provider_requests',
  'trustflow_provider_request_latency',
  'trustflow_billed_calls',
  'trustflow_activity_retries',
  'trustflow_credential_seconds_left',
  'trustflow_token_keeper_refreshes',
  'trustflow_token_keeper_requests',
];
const HISTOGRAMS = [
  'temporal_workflow_endtoend_latency',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_activity_execution_latency',
  'trustflow_flow_duration',
  'trustflow_provider_request_latency',
];

/** The metric a series name belongs to: a histogram's _bucket/_sum/_count series count as the histogram. */
function metricOf(series: string): string {
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  return m && HISTOGRAMS.includes(m[1]!) ? m[1]! : series;
}
const known = (metric: string) =>
  SDK_METRICS.includes(metric) || TRUSTFLOW_METRICS.includes(metric) || /^temporal_sticky_cache_[a-z_]+$/.test(metric);

describe('Grafana', () => {
  const datasources = parse(read('deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'));
  const uid: string = datasources.datasources[0].uid;
  const dashboardsDir = join(repoRoot, 'deploy', 'grafana', 'dashboards');
  const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));

  it('provisions the Prometheus datasource by uid and the dashboards from deploy/grafana/dashboards', () => {
    assert.equal(datasources.datasources[0].type, 'prometheus');
    assert.equal(datasources.datasources[0].url, 'http://prometheus:9090');
    const providers = parse(read('deploy', 'grafana', 'provisioning', 'dashboards', 'dashboards.yml'));
    assert.equal(providers.providers[0].options.path, '/etc/grafana/dashboards');
    assert.ok(compose.services.grafana.volumes.includes('./deploy/grafana/dashboards:/etc/grafana/dashboards:ro'));
    assert.deepEqual(files.sort(), ['temporal-sdk.json', 'trustflow.json']);
  });

  it('has valid dashboards that query only the SDK and trustflow metrics, and every one of them', () => {
    const used = new Set<string>();
    for (const file of files) {
      const d = JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8'));
      assert.ok(d.uid && d.title, `${file}: uid and title`);
      assert.ok(d.schemaVersion >= 36, `${file}: schemaVersion ${d.schemaVersion}`);
      const ids = d.panels.map((p: any) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: unique panel ids`);
      const queries: string[] = [];
      for (const p of d.panels) {
        if (p.type === 'row') continue;
        assert.equal(p.datasource?.uid, uid, `${file}: panel '${p.title}' uses the provisioned datasource`);
        assert.ok(p.targets?.length, `${file}: panel '${p.title}' has queries`);
        for (const t of p.targets) {
          assert.equal(t.datasource?.uid, uid, `${file}: a query of '${p.title}'`);
          queries.push(t.expr);
        }
      }
      for (const v of d.templating?.list ?? []) {
        if (v.type !== 'query') continue;
        assert.equal(v.datasource?.uid, uid, `${file}: variable ${v.name}`);
        queries.push(typeof v.query === 'string' ? v.query : v.query.query);
      }
      for (const q of queries) {
        for (const [series] of q.matchAll(/\b(?:temporal|trustflow)_[a-z0-9_]+/g)) {
          const metric = metricOf(series);
          assert.ok(known(metric), `${file}: unknown metric ${series} in ${q}`);
          used.add(metric);
        }
      }
    }
    for (const m of [...SDK_METRICS, ...TRUSTFLOW_METRICS]) assert.ok(used.has(m), `no dashboard shows ${m}`);
    assert.ok(
      [...used].some((m) => m.startsWith('temporal_sticky_cache_')),
      'no dashboard shows the sticky cache',
    );
  });
});

// --- (f) dynamic config ------------------------------------------------------------------------------
describe('Temporal dynamic config', () => {
  it('the server loads deploy/temporal/dynamicconfig/production.yaml', () => {
    const path = envValue(compose.services.temporal, 'DYNAMIC_CONFIG_FILE_PATH')!;
    const mount = (compose.services.temporal.volumes as string[]).find((v) => v.startsWith('./deploy/temporal/dynamicconfig:'));
    assert.ok(mount, 'the directory is mounted');
    assert.equal(path, `${mount.split(':')[1]}/${basename(path)}`);
    assert.equal(basename(path), 'production.yaml');
  });

  it('the "By hand" dev server of docs/commands.md gets every value of src/common/server-settings.ts, as npm start passes them', () => {
    const doc = read('docs', 'commands.md');
    const start = doc.indexOf('temporal server start-dev --ui-codec-endpoint');
    assert.ok(start > 0, 'the By hand command is in docs/commands.md');
    // The command with its continuation lines, its arguments unquoted as the shell would.
    const lines = doc.slice(start).split('\n');
    const command = lines.slice(0, lines.findIndex((l) => !l.trimEnd().endsWith('\\')) + 1).join(' ');
    const given = [...command.matchAll(/--dynamic-config-value\s+('[^']*'|\S+)/g)].map((m) => m[1]!.replace(/^'|'$/g, ''));
    const wanted = devServerDynamicConfigArgs().filter((a) => a !== '--dynamic-config-value');
    assert.deepEqual(given.sort(), wanted.sort());
  });

  it('sets every value of src/common/server-settings.ts, history.maxInFlightUpdates to at least 1000', () => {
    const config = parse(read('deploy', 'temporal', 'dynamicconfig', 'production.yaml')) as Record<string, { value: unknown }[]>;
    const values = (key: string) => (config[key] ?? []).map((e) => e.value);
    assert.ok(
      values('history.maxInFlightUpdates').some((v) => typeof v === 'number' && v >= 1000),
      'history.maxInFlightUpdates >= 1000',
    );
    for (const [key, wanted] of Object.entries(serverDynamicConfig) as [string, unknown][]) {
      const got = values(key);
      assert.ok(
        got.some((v) => (typeof wanted === 'number' ? typeof v === 'number' && v >= wanted : v === wanted)),
        `${key}: ${JSON.stringify(got)} (trustflow needs ${JSON.stringify(wanted)})`,
      );
    }
  });
});
