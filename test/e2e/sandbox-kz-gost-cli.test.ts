// The Kazakh GOST example of docs/kz-gost.md as a user runs it on a clone: `npm run sandbox` as its own
// process, then the page's bash block, word for word (only `npx trustflow` runs this checkout's
// bin/trustflow.js, each call recorded), against the sandbox's GOST key, certificate and CA.
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { SandboxManifest } from '../../src/sandbox/index.js';
import { repoRoot } from '../helpers/paths.js';
import { startSandboxProcess, trustflowCli, type CliResult } from '../helpers/processes.js';

const run = promisify(execFile);
const trustflow = trustflowCli(() => process.env);
let tmp: string;
let sandbox: ChildProcess | undefined;
let manifest: SandboxManifest;

/** The bash block under "Try it on a clone" in docs/kz-gost.md. */
async function docBlock(): Promise<string> {
  const page = await readFile(join(repoRoot, 'docs', 'kz-gost.md'), 'utf8');
  const from = page.indexOf('## Try it on a clone');
  assert.ok(from >= 0, "docs/kz-gost.md has no 'Try it on a clone' section");
  const block = /```bash\n([\s\S]*?)```/.exec(page.slice(from));
  assert.ok(block, 'no bash block under "Try it on a clone"');
  return block[1]!;
}

/** Runs the block in `cwd` (a clone's folder: .sandbox/ in it); returns every trustflow call's result. */
async function runBlock(block: string, cwd: string): Promise<(CliResult & { args: string })[]> {
  assert.match(block, /npx trustflow /);
  const log = join(tmp, 'calls');
  const script = [
    'set -u',
    `LOG=${JSON.stringify(log)}; mkdir -p "$LOG"; n=0`,
    // `npx trustflow` is this checkout's CLI; each call's output and exit code are kept, the block goes on.
    `tf() { n=$((n + 1)); printf '%s\\n' "$*" >"$LOG/$n.args"; node ${JSON.stringify(join(repoRoot, 'bin', 'trustflow.js'))} "$@" >"$LOG/$n.out" 2>"$LOG/$n.err"; echo $? >"$LOG/$n.code"; }`,
    block.replaceAll('npx trustflow ', 'tf '),
    'echo "$n" >"$LOG/count"',
  ].join('\n');
  await writeFile(join(tmp, 'doc-block.sh'), script);
  await run('bash', [join(tmp, 'doc-block.sh')], { cwd, env: { ...process.env, KZ_GOST_PASSWORD: '' } });
  const count = Number(await readFile(join(log, 'count'), 'utf8'));
  const calls = [];
  for (let i = 1; i <= count; i++) {
    const read = (ext: string) => readFile(join(log, `${i}.${ext}`), 'utf8');
    calls.push({
      args: (await read('args')).trim(),
      code: Number(await read('code')),
      stdout: await read('out'),
      stderr: await read('err'),
    });
  }
  return calls;
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-sandbox-kz-gost-'));
  ({ proc: sandbox, manifest } = await startSandboxProcess(join(tmp, '.sandbox')));
});

after(async () => {
  sandbox?.kill('SIGTERM');
  await rm(tmp, { recursive: true, force: true });
});

describe("docs/kz-gost.md's Kazakh GOST example on the sandbox's key and CA", () => {
  it('cms sign (attached, detached), cms verify and cert verify as written: every call exits 0 and says valid', async () => {
    const calls = await runBlock(await docBlock(), tmp);
    const show = (c: CliResult & { args: string }) => `trustflow ${c.args}\n--- exit ${c.code}\n${c.stdout}${c.stderr}`;
    assert.deepEqual(
      calls.map((c) => c.args.split(' ').slice(0, 2).join(' ')),
      ['cms sign', 'cms verify', 'cms sign', 'cms verify', 'cert verify'],
    );
    for (const c of calls) assert.equal(c.code, 0, show(c));
    const call = (i: number): CliResult => calls[i]!;
    const [signAttached, verifyAttached, signDetached, verifyDetached, certVerify] = [call(0), call(1), call(2), call(3), call(4)];
    for (const s of [signAttached, signDetached]) assert.match(s.stderr, /signed \(GOST 34\.310-2004 \(Kazakhstan\)\)/);
    for (const [v, detached] of [
      [verifyAttached, false],
      [verifyDetached, true],
    ] as const) {
      const report = JSON.parse(v.stdout);
      assert.deepEqual([report.signatureValid, report.issuedByCa, report.detached], [true, true, detached]);
      assert.match(report.signer.subject, new RegExp(`IIN${manifest.kzGost.iin}`));
    }
    const cert = JSON.parse(certVerify.stdout);
    assert.deepEqual([cert.valid, cert.signatureValid, cert.issuerMatches, cert.validity, cert.problems], [true, true, true, 'valid', []]);
    assert.match(cert.signatureAlgorithm, /GOST 34\.310-2004/);
  });

  it('the same commands tell a wrong document and a wrong CA apart (the verdicts are not vacuous)', async () => {
    const { p12, passwordFile, certificate, caCertificate } = manifest.kzGost;
    const doc = join(tmp, 'doc.txt');
    const other = join(tmp, 'other.txt');
    await writeFile(doc, 'құжат\n');
    await writeFile(other, 'басқа құжат\n');
    const env = { ...process.env, KZ_GOST_PASSWORD: (await readFile(passwordFile, 'utf8')).trim() };
    const signed = await trustflowCli(() => env)(
      'cms',
      'sign',
      '--p12',
      p12,
      '--password-env',
      'KZ_GOST_PASSWORD',
      '--in',
      doc,
      '--out',
      join(tmp, 'doc.detached.p7s'),
      '--detached',
    );
    assert.equal(signed.code, 0, signed.stderr);
    const wrongDoc = await trustflow('cms', 'verify', '--in', join(tmp, 'doc.detached.p7s'), '--content', other, '--ca', caCertificate);
    assert.equal(wrongDoc.code, 1);
    assert.equal(JSON.parse(wrongDoc.stdout).signatureValid, false);
    // The sandbox's RSA CA did not issue the GOST certificate.
    const wrongCa = await trustflow('cert', 'verify', '--cert', certificate, '--ca', manifest.ca.certificate);
    assert.equal(wrongCa.code, 1);
    assert.deepEqual([JSON.parse(wrongCa.stdout).valid, JSON.parse(wrongCa.stdout).issuerMatches], [false, false]);
  });
});
