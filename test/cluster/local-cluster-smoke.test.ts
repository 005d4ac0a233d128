// scripts/local-cluster brings up the production topology: PostgreSQL, a real Temporal server on it,
// two worker processes. Slow the first time (it builds temporal-server with Go); not in `npm test`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { processAlive, startLocalCluster, type LocalCluster } from '../helpers/local-cluster.js';
import { temporalCliPath } from '../helpers/temporal.js';

const run = promisify(execFile);
let cluster: LocalCluster | undefined;

before(async () => {
  cluster = await startLocalCluster({ workers: 2 });
});

after(async () => {
  const c = cluster;
  await c?.stop();
  if (c) {
    assert.ok(!processAlive(c.serverPid), 'server stopped');
    for (const w of c.workers) assert.ok(!processAlive(w.pid), `worker ${w.index} stopped`);
    assert.ok(!existsSync(c.dir), 'down --purge removed the directory');
  }
});

test('the server is SERVING', async () => {
  const { stdout } = await run(temporalCliPath(), ['operator', 'cluster', 'health', '--address', cluster!.address]);
  assert.match(stdout, /SERVING/);
});

test('the server persists to PostgreSQL, with advanced visibility there too', async () => {
  const { stdout } = await run(temporalCliPath(), ['operator', 'cluster', 'describe', '--address', cluster!.address, '-o', 'json']);
  const info = JSON.parse(stdout) as { persistenceStore?: string; visibilityStore?: string; historyShardCount?: number };
  assert.equal(info.persistenceStore, 'postgres12');
  assert.match(info.visibilityStore ?? '', /postgres12/);
  assert.equal(info.historyShardCount, 4);
});

test("the `temporal` database holds Temporal's tables", async (t) => {
  const psql = ['/usr/bin/psql', '/usr/lib/postgresql/15/bin/psql'].find((p) => existsSync(p));
  if (!psql) return t.skip('psql not installed');
  const pg = cluster!.postgres;
  const { stdout } = await run(
    psql,
    [
      '-h',
      pg.host,
      '-p',
      String(pg.port),
      '-U',
      pg.user,
      '-d',
      'temporal',
      '-tAc',
      "select count(*) from pg_tables where tablename in ('executions', 'shards', 'namespaces')",
    ],
    { env: { ...process.env, PGPASSWORD: pg.password } },
  );
  assert.equal(stdout.trim(), '3');
});

test('both worker processes are alive and serve their metrics', async () => {
  assert.equal(cluster!.workers.length, 2);
  for (const w of cluster!.workers) {
    assert.ok(processAlive(w.pid), `worker ${w.index} (pid ${w.pid}) is running`);
    const res = await fetch(w.metricsUrl);
    assert.equal(res.status, 200, `worker ${w.index} metrics at ${w.metricsUrl}`);
  }
  assert.equal((await fetch(cluster!.serverMetricsUrl)).status, 200);
});

test('both workers poll the trustflow task queue through the matching service', async () => {
  const { stdout } = await run(temporalCliPath(), [
    'task-queue',
    'describe',
    '--address',
    cluster!.address,
    '-n',
    cluster!.namespace,
    '--task-queue',
    'trustflow',
    '-o',
    'json',
  ]);
  const pollers = (JSON.parse(stdout) as { pollers?: { identity: string; taskQueueType: string }[] }).pollers ?? [];
  for (const w of cluster!.workers) {
    for (const type of ['workflow', 'activity']) {
      assert.ok(
        pollers.some((p) => p.identity.startsWith(`${w.pid}@`) && p.taskQueueType === type),
        `worker ${w.index} (pid ${w.pid}) polls ${type} tasks: ${stdout}`,
      );
    }
  }
});
