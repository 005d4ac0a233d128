// `trustflow kisc news|transactions|act` as a user runs them: the compiled CLI as a separate process,
// against the sandbox's KISC simulator over mutual TLS, with a connection file cut from the
// sandbox manifest's kiscVerifyIdentity example. No Temporal involved.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/common/logger.js';
import { KiscClient } from '../../src/providers/kisc/index.js';
import { closeMutualTlsAgents, openMutualTls } from '../../src/providers/mutual-tls.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { resolveSecret } from '../../src/secrets/resolve.js';
import { repoRoot } from '../helpers/paths.js';

const run = promisify(execFile);
let tmp: string;
let sandbox: Sandbox;
let connection: string;
let secrets: { label: string; value: string }[];
/** Every CLI run, so that the last test can look for secrets in all of their output. */
const outputs: { args: string[]; stdout: string; stderr: string }[] = [];

const trustflow = async (...args: string[]) => {
  const r = await run(process.execPath, [join(repoRoot, 'bin', 'trustflow.js'), ...args], { env: process.env }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  outputs.push({ args, stdout: r.stdout, stderr: r.stderr });
  return r;
};

const example = () => sandbox.manifest.examples.kiscVerifyIdentity;
const fileOf = (ref: string) => ref.slice('file:'.length);
/** Now in Almaty (UTC+5), as fields. */
const almaty = () => {
  const t = new Date(Date.now() + 5 * 3600_000);
  return { date: t.toISOString().slice(0, 10), year: t.getUTCFullYear(), month: t.getUTCMonth() + 1 };
};

async function connectionFile(name: string, content: unknown): Promise<string> {
  const path = join(tmp, name);
  await writeFile(path, JSON.stringify(content, null, 2));
  return path;
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-kisc-cli-'));
  sandbox = await startSandbox({ dir: join(tmp, 'sandbox'), logger: createLogger({ name: 'trustflow-sandbox', level: 'warn' }) });
  // The whole kiscVerifyIdentity input, extra keys and all: the CLI takes only baseUrl and tls.
  connection = await connectionFile('kisc-connection.json', example());
  const read = async (ref: string) => (await readFile(fileOf(ref), 'utf8')).replace(/\r?\n$/, '');
  secrets = [
    { label: 'TLS p12 password', value: await read(example().tls.password) },
    { label: 'signing p12 password', value: await read(example().signingKey!.password) },
    { label: 'mpt-legacy p12 password', value: await read(sandbox.manifest.keys['mpt-legacy']!.password) },
  ];
  for (const s of secrets) assert.ok(s.value.length >= 8, `${s.label} is a real secret`);
});

after(async () => {
  closeMutualTlsAgents();
  await sandbox?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('trustflow kisc', () => {
  let key: string;

  it('kisc news prints the seed news item', async () => {
    const r = await trustflow('kisc', 'news', '--connection', connection);
    assert.equal(r.code, 0, r.stderr);
    const news = JSON.parse(r.stdout) as { date: string; subject: string; text: string }[];
    assert.ok(Array.isArray(news));
    const item = news.find((n) => n.date === '2021-10-29');
    assert.ok(item, `no 2021-10-29 item in ${r.stdout}`);
    assert.match(item.subject, /плановых работ/);
  });

  it('kisc transactions --from/--to today (Almaty) prints exactly the one verification made', async () => {
    const e = example();
    const { agent } = await openMutualTls(e.tls, resolveSecret, { provider: 'KISC', renewalAdvice: '', warn: () => undefined });
    const person = sandbox.manifest.kisc.persons[0]!;
    key = randomUUID();
    const v = await new KiscClient({ baseUrl: e.baseUrl, agent }).verify({
      iin: person.iin,
      vendorId: 1,
      idempotencyKey: key,
      photo: await readFile(fileOf(person.photo)),
      contentType: 'image/png',
    });
    assert.equal(v.x_idempotency_key, key);

    const today = almaty().date;
    const r = await trustflow('kisc', 'transactions', '--connection', connection, '--from', today, '--to', today);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { vendor_name: string; datetime: string; similarity: number; x_idempotency_key: string }[];
    assert.deepEqual(
      rows.map((row) => row.x_idempotency_key),
      [key],
    );
    assert.equal(rows[0]!.vendor_name, 'VisionLabs');
    assert.match(rows[0]!.datetime, /^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$/);

    const reversed = await trustflow('kisc', 'transactions', '--connection', connection, '--from', '2024-02-02', '--to', '2024-02-01');
    assert.equal(reversed.code, 2);
    assert.match(reversed.stderr, /--from 2024-02-02 is after --to 2024-02-01/);
    const notADate = await trustflow('kisc', 'transactions', '--connection', connection, '--from', '2024-02-30', '--to', '2024-03-01');
    assert.equal(notADate.code, 2);
    assert.match(notADate.stderr, /--from must be a calendar date YYYY-MM-DD/);
  });

  it('kisc act --year --month (this month, Almaty) unpacks one file holding the key, and never overwrites it', async () => {
    assert.ok(key, 'the transactions test made a verification');
    const { year, month } = almaty();
    const out = join(tmp, 'act');
    const r = await trustflow('kisc', 'act', '--connection', connection, '--year', String(year), '--month', String(month), '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const name = `act_${month}-${month}-01_K9000666.txt`;
    const files = JSON.parse(r.stdout) as { name: string; bytes: number; sha256: string }[];
    assert.equal(files.length, 1);
    assert.equal(files[0]!.name, name);
    assert.match(files[0]!.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(await readdir(out), [name]);
    const content = await readFile(join(out, name));
    assert.equal(content.length, files[0]!.bytes);
    assert.ok(content.toString('utf8').includes(key), 'the act lists the verification');

    const again = await trustflow(
      'kisc',
      'act',
      '--connection',
      connection,
      '--year',
      String(year),
      '--month',
      String(month),
      '--out',
      out,
    );
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /would overwrite .* which already exists/);
    assert.deepEqual(await readFile(join(out, name)), content, 'the existing act is untouched');
  });

  it('a client certificate from another CA fails, saying the server refused it', async () => {
    const mpt = sandbox.manifest.keys['mpt-legacy']!;
    const bad = await connectionFile('foreign-ca.json', {
      baseUrl: example().baseUrl,
      tls: { ...example().tls, p12: mpt.p12, password: mpt.password },
    });
    const r = await trustflow('kisc', 'news', '--connection', bad);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /the server refused our client certificate/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  });

  it('a connection file without tls.ca fails, naming tls.ca', async () => {
    const { ca: _ca, ...tls } = example().tls;
    const bad = await connectionFile('no-ca.json', { baseUrl: example().baseUrl, tls });
    const r = await trustflow('kisc', 'news', '--connection', bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tls\.ca: needs 'ca'/);
  });

  it('no secret value appears in the output of any run', () => {
    assert.ok(outputs.length >= 7, `${outputs.length} runs recorded`);
    const hits = outputs.flatMap((o) =>
      secrets
        .filter((s) => o.stdout.includes(s.value) || o.stderr.includes(s.value))
        .map((s) => `${s.label} in the output of ${o.args.slice(0, 2).join(' ')}`),
    );
    assert.deepEqual(hits, []);
  });
});
