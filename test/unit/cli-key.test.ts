// `trustflow key inspect` and `trustflow key export` as a person runs them (separate processes), on
// the genuine CryptoPro containers and PFX files of ../shared/vectors/cryptopro: every key exported
// equals the expected PKCS#8, encrypted exports open in OpenSSL + gost-engine to the same key, files
// are 0600 and never replace anything, passwords never reach the output, and inspect reports what
// expected.json says about each store.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { pemBlocks, pkcs8Encryption } from '../../src/crypto/keys/pkcs8.js';
import { ruGostKeyOid } from '../../src/crypto/keys/ru-gost-key.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { repoRoot, vectorsDir, vectorsOrSkip } from '../helpers/paths.js';

const bin = join(repoRoot, 'bin', 'trustflow.js');
interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
const cli = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
  promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: Result) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

interface ExpectedKey {
  slot?: string;
  params: { flags?: { exportable: boolean }; algorithm: string; curve: string; digest: string };
  pkcs8_pem_file: string;
  certificate_file: string;
  certificate: { serial: string; sha256_der: string };
  primaryFP_hex?: string;
  fingerprint_hex?: string;
}
interface ExpectedStore {
  password: string;
  keys: ExpectedKey[];
}

// expected.json decides which tests exist; each test still asks vectorsOrSkip (skip here, fail in CI).
const root = join(vectorsDir, 'cryptopro');
const expected: Record<string, ExpectedStore> = existsSync(join(root, 'expected.json'))
  ? (JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8')) as Record<string, ExpectedStore>)
  : {};
const stores = Object.entries(expected);
const containers = stores.filter(([path]) => !path.endsWith('.pfx'));
const pfxFiles = stores.filter(([path]) => path.endsWith('.pfx'));
const EXCHANGE_OIDS = new Set(['1.2.643.2.2.98', '1.2.643.7.1.1.6.1', '1.2.643.7.1.1.6.2']);
const usageOf = (k: ExpectedKey) => (EXCHANGE_OIDS.has(k.params.algorithm) ? 'exchange' : 'signature');
const PASSWORD_VAR = 'TF_TEST_CONTAINER_PASSWORD';
/** The --password-env words and environment for a store's password (none when it has none). */
const sourcePassword = (s: ExpectedStore): { args: string[]; env: Record<string, string> } =>
  s.password === '' ? { args: [], env: {} } : { args: ['--password-env', PASSWORD_VAR], env: { [PASSWORD_VAR]: s.password } };
/** --key-usage for a key of a two-key container; a one-key container is exported without it. */
const usageArgs = (s: ExpectedStore, k: ExpectedKey) => (s.keys.length > 1 ? ['--key-usage', usageOf(k)] : []);

const pemDer = (text: string, label: string) => {
  const block = pemBlocks(text).find((b) => b.label === label);
  assert.ok(block, `a ${label} block`);
  return block.der;
};
const expectedDer = (file: string, label: string) => pemDer(readFileSync(join(root, file), 'latin1'), label);
const mode = async (path: string) => (await stat(path)).mode & 0o777;

let tmp: string;
let n = 0;
const fresh = (name: string) => join(tmp, `${n++}-${name}`);
before(async () => (tmp = await mkdtemp(join(tmpdir(), 'trustflow-cli-key-'))));
after(() => rm(tmp, { recursive: true, force: true }));

function vectors(t: TestContext): boolean {
  return vectorsOrSkip(t, 'cryptopro', 'expected.json') !== undefined;
}

describe('trustflow key export from CryptoPro containers and PFX files', () => {
  it('the published containers and PFX files are there', (t) => {
    if (!vectors(t)) return;
    assert.ok(containers.length >= 7, `${containers.length} containers in expected.json`);
    assert.ok(pfxFiles.length >= 4, `${pfxFiles.length} PFX files in expected.json`);
  });

  for (const [path, store] of stores)
    for (const key of store.keys)
      it(`${path}${store.keys.length > 1 ? ` (${usageOf(key)} key)` : ''}: --unencrypted gives the expected PKCS#8, --cert-out the expected certificate, both mode 0600`, async (t) => {
        if (!vectors(t)) return;
        const out = fresh('key.pem');
        const certOut = fresh('cert.pem');
        const pw = sourcePassword(store);
        const r = await cli(
          [
            'key',
            'export',
            '--from',
            join(root, path),
            ...pw.args,
            ...usageArgs(store, key),
            '--out',
            out,
            '--cert-out',
            certOut,
            '--unencrypted',
          ],
          pw.env,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '', 'files only: nothing on stdout');
        assert.match(r.stderr, /warning: --unencrypted: .* holds the private key in the clear/);
        assert.deepEqual(pemDer(await readFile(out, 'latin1'), 'PRIVATE KEY'), expectedDer(key.pkcs8_pem_file, 'PRIVATE KEY'));
        assert.deepEqual(pemDer(await readFile(certOut, 'latin1'), 'CERTIFICATE'), expectedDer(key.certificate_file, 'CERTIFICATE'));
        assert.equal(await mode(out), 0o600);
        assert.equal(await mode(certOut), 0o600);
        if (key.params.flags?.exportable === false)
          assert.match(r.stderr, /note: CryptoPro marked this key non-exportable.*the key owner's decision/);
        else assert.doesNotMatch(r.stderr, /non-exportable/);
        if (store.keys.length > 1) assert.doesNotMatch(r.stderr, /exports the other/, '--key-usage chose: no note about the other key');
      });

  for (const [path, store] of stores)
    for (const key of store.keys)
      it(`${path}${store.keys.length > 1 ? ` (${usageOf(key)} key)` : ''}: the encrypted export (PBES2, AES-256-CBC) opens in OpenSSL + gost-engine to the same key`, async (t) => {
        if (!vectors(t)) return;
        const out = fresh('key.enc.pem');
        const pw = sourcePassword(store);
        const outPassword = 'пароль für export 1'; // not ASCII: written and read as UTF-8
        const r = await cli(
          ['key', 'export', '--from', join(root, path), ...pw.args, ...usageArgs(store, key), '--out', out, '--out-password-env', 'TF_OUT'],
          { ...pw.env, TF_OUT: outPassword },
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await mode(out), 0o600);
        const encrypted = pemDer(await readFile(out, 'latin1'), 'ENCRYPTED PRIVATE KEY');
        const how = pkcs8Encryption(encrypted, out);
        assert.deepEqual([how.kdf, how.cipher], ['PBKDF2-HMAC-SHA256', 'AES-256-CBC']);
        assert.ok(how.iterations! >= 100_000, `${how.iterations} iterations`);
        const plain = await runGostOpenssl(['pkey', '-in', out, '-passin', 'env:TF_P', '-outform', 'DER'], { env: { TF_P: outPassword } });
        assert.deepEqual(plain.stdout, expectedDer(key.pkcs8_pem_file, 'PRIVATE KEY'));
        assert.ok(!r.stderr.includes(outPassword) && !r.stdout.includes(outPassword));
      });

  it('without --out-password-env the source password protects --out (said on stderr); OpenSSL opens it with that password', async (t) => {
    if (!vectors(t)) return;
    const store = expected['get-cpcert/g2012256.000']!;
    const out = fresh('reused.pem');
    const r = await cli(['key', 'export', '--from', join(root, 'get-cpcert/g2012256.000'), '--password-env', 'CP', '--out', out], {
      CP: store.password,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--out is encrypted with the source's password \(--password-env CP\)/);
    const pub = await runGostOpenssl(['pkey', '-in', out, '-passin', 'env:CP', '-pubout'], { env: { CP: store.password } });
    const certPub = await runGostOpenssl(['x509', '-in', join(root, store.keys[0]!.certificate_file), '-noout', '-pubkey']);
    assert.equal(pub.stdout.toString(), certPub.stdout.toString());
  });

  it('a source without a password needs --out-password-env or --unencrypted: exit 2, nothing written', async (t) => {
    if (!vectors(t)) return;
    const out = fresh('none.pem');
    const r = await cli(['key', 'export', '--from', join(root, 'cryptopro-corefx/containers/G2001256.000'), '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /give --out-password-env NAME .* or --unencrypted/);
    assert.match(r.stderr, /^usage: trustflow key export --from PATH/m);
    assert.equal(existsSync(out), false);
    const both = await cli(
      [
        'key',
        'export',
        '--from',
        join(root, 'cryptopro-corefx/containers/G2001256.000'),
        '--out',
        out,
        '--unencrypted',
        '--out-password-env',
        'X',
      ],
      { X: 'x' },
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--unencrypted and --out-password-env contradict each other/);
  });

  it('an existing --out or --cert-out is refused (exit 2) and left untouched; there is no --force', async (t) => {
    if (!vectors(t)) return;
    const from = join(root, 'cryptopro-corefx/containers/G2001256.000');
    const existing = fresh('existing.pem');
    await writeFile(existing, 'keep me');
    const r = await cli(['key', 'export', '--from', from, '--out', existing, '--unencrypted']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--out .*existing\.pem exists: trustflow never replaces it here; choose another --out/);
    assert.equal(await readFile(existing, 'utf8'), 'keep me');
    const out = fresh('new.pem');
    const c = await cli(['key', 'export', '--from', from, '--out', out, '--cert-out', existing, '--unencrypted']);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--cert-out .* exists/);
    assert.equal(await readFile(existing, 'utf8'), 'keep me');
    assert.equal(existsSync(out), false, 'refused before anything is written');
    const force = await cli(['key', 'export', '--from', from, '--out', existing, '--unencrypted', '--force']);
    assert.equal(force.code, 2);
    assert.match(force.stderr, /unknown option '--force' for trustflow key export/);
  });

  it('--out and --cert-out must differ, and neither may be inside the --from folder nor --from itself (exit 2)', async (t) => {
    if (!vectors(t)) return;
    const same = fresh('same.pem');
    const r = await cli([
      'key',
      'export',
      '--from',
      join(root, 'cryptopro-corefx/containers/G2001256.000'),
      '--out',
      same,
      '--cert-out',
      same,
      '--unencrypted',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cert-out must be another file than --out/);
    // A folder of our own: the check comes before the folder is read, and nothing may land in the vectors.
    const folder = fresh('container.000');
    await mkdir(folder);
    for (const [flag, file] of [
      ['--out', join(folder, 'key.pem')],
      ['--cert-out', join(folder, 'sub', '..', 'cert.pem')],
    ] as const) {
      const inside = await cli([
        'key',
        'export',
        '--from',
        folder,
        '--out',
        flag === '--out' ? file : fresh('k.pem'),
        ...(flag === '--cert-out' ? ['--cert-out', file] : []),
        '--unencrypted',
      ]);
      assert.equal(inside.code, 2, inside.stderr);
      assert.match(inside.stderr, new RegExp(`${flag} .* is inside the folder given as --from`));
    }
    const pfxLike = fresh('store.pfx');
    await writeFile(pfxLike, 'not really');
    const self = await cli(['key', 'export', '--from', pfxLike, '--out', pfxLike, '--unencrypted']);
    assert.equal(self.code, 2);
    assert.match(self.stderr, /--out .* is the file given as --from/);
  });

  it('a wrong password: exit 1 naming the variable, never the password; a missing one: exit 1 saying a password is needed', async (t) => {
    if (!vectors(t)) return;
    const secret = 'Wr0ng-Secret-Value';
    for (const path of ['get-cpcert/g2001.000', 'cryptopro-corefx/containers/G2012256.001']) {
      const out = fresh('wrong.pem');
      const r = await cli(['key', 'export', '--from', join(root, path), '--password-env', 'CP', '--out', out, '--unencrypted'], {
        CP: secret,
      });
      assert.equal(r.code, 1, `${path}: ${r.stderr}`);
      assert.match(r.stderr, /wrong password for the container \(check the secret behind env:CP\)/);
      assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), 'the password is not shown');
      assert.equal(existsSync(out), false);
    }
    const none = await cli(
      ['key', 'export', '--from', join(root, 'get-cpcert/g2001.000'), '--out', fresh('none.pem'), '--out-password-env', 'O'],
      { O: 'o' },
    );
    assert.equal(none.code, 1);
    assert.match(none.stderr, /the container is protected by a password/);
    const empty = await cli(
      ['key', 'export', '--from', join(root, 'get-cpcert/g2001.000'), '--password-env', 'CP', '--out', fresh('e.pem'), '--unencrypted'],
      { CP: '' },
    );
    assert.equal(empty.code, 1, 'an empty variable is a secret that does not resolve, as everywhere');
    assert.match(empty.stderr, /environment variable CP \(--password-env\) is empty/);
  });

  it('containers of the newer format (other-formats/) and other things that are not containers: exit 1, saying what it is', async (t) => {
    if (!vectors(t)) return;
    for (const name of ['pfx-0829.000', 'pfx-3407.000']) {
      const from = join(root, 'cryptopro-corefx/other-formats', name);
      const e = await cli(['key', 'export', '--from', from, '--out', fresh('o.pem'), '--unencrypted']);
      assert.equal(e.code, 1, e.stderr);
      assert.match(e.stderr, /a CryptoPro container of the newer format \(1\.2\.643\.2\.2\.37\.4, used for ECDSA and RSA keys\)/);
      const i = await cli(['key', 'inspect', from]);
      assert.equal(i.code, 1);
      assert.match(i.stderr, /newer format/);
    }
    const inside = await cli(['key', 'inspect', join(root, 'cryptopro-corefx/containers/G2001256.000/header.key')]);
    assert.equal(inside.code, 1);
    assert.match(inside.stderr, /this is one file of a CryptoPro container: give the container's folder/);
    const text = fresh('text.txt');
    await writeFile(text, 'hello');
    const notStore = await cli(['key', 'inspect', text]);
    assert.equal(notStore.code, 1);
    assert.match(notStore.stderr, /not a key store trustflow reads/);
    const missing = await cli(['key', 'inspect', fresh('missing')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file or folder/);
  });

  it('a CryptoPro PFX: a wrong password is exit 1 without the password; --key-usage (a PFX holds one key) is exit 2', async (t) => {
    if (!vectors(t)) return;
    const from = join(root, 'cryptopro-corefx/pfx/Cli_2012_256_pw1.pfx');
    const secret = 'Another-Wrong-One';
    const out = fresh('pfx.pem');
    const r = await cli(['key', 'export', '--from', from, '--password-env', 'PP', '--out', out, '--unencrypted'], { PP: secret });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /wrong password .*check the secret behind env:PP/);
    assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
    assert.equal(existsSync(out), false);
    const usage = await cli(
      ['key', 'export', '--from', from, '--password-env', 'PP', '--key-usage', 'exchange', '--out', out, '--unencrypted'],
      {
        PP: '1',
      },
    );
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--key-usage chooses between the keys of a CryptoPro container; .* is a CryptoPro PFX, which holds one key/);
  });

  it('--key-usage names a key the container does not hold: exit 1 listing what it holds; a bad value: exit 2', async (t) => {
    if (!vectors(t)) return;
    const from = join(root, 'cryptopro-corefx/containers/0000rtin.001');
    const r = await cli(['key', 'export', '--from', from, '--key-usage', 'signature', '--out', fresh('s.pem'), '--unencrypted']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds no signature key \(it holds: exchange\)/);
    const bad = await cli(['key', 'export', '--from', from, '--key-usage', 'sign', '--out', fresh('s.pem'), '--unencrypted']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--key-usage sign: use exchange or signature/);
    const two = await cli([
      'key',
      'export',
      '--from',
      join(root, 'cryptopro-corefx/containers/G2012512.000'),
      '--out',
      fresh('x.pem'),
      '--unencrypted',
    ]);
    assert.equal(two.code, 0, two.stderr);
    assert.match(two.stderr, /holds 2 keys \(signature, exchange\): exported the exchange key; --key-usage signature exports the other/);
  });
});

describe('trustflow key inspect', () => {
  for (const [path, store] of containers)
    it(`${path} --json: kind, OIDs, exportable, passwordSet, fingerprints and certificates as expected.json says`, async (t) => {
      if (!vectors(t)) return;
      const r = await cli(['key', 'inspect', join(root, path), '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.kind, 'cryptopro-container');
      assert.equal(report.opened, false, 'header only: no password asked, none used');
      const passwordSet = path.startsWith('get-cpcert/') ? true : store.keys.length > 1 ? null : false;
      assert.equal(report.passwordSet, passwordSet);
      assert.equal(report.keys.length, store.keys.length);
      store.keys.forEach((k, i) => {
        const got = report.keys[i];
        assert.equal(got.usage, usageOf(k));
        assert.deepEqual([got.storedAlgorithmOid, got.curveOid, got.digestOid], [k.params.algorithm, k.params.curve, k.params.digest]);
        assert.match(got.algorithmOid, /^1\.2\.643\.(2\.2\.19|7\.1\.1\.1\.[12])$/);
        assert.equal(got.exportable, k.params.flags?.exportable ?? true);
        const fp = k.primaryFP_hex ?? k.fingerprint_hex;
        if (fp) assert.equal(got.fingerprint, fp);
        assert.equal(got.certificate.sha256, k.certificate.sha256_der);
        assert.equal(got.certificate.serialNumber, k.certificate.serial);
      });
      if (path.endsWith('0000rtin.001')) assert.match(report.warnings.join('\n'), /marked non-exportable/);
    });

  for (const [path, store] of pfxFiles)
    it(`${path} --json: a CryptoPro PFX, its key's OIDs and fingerprint, its certificate`, async (t) => {
      if (!vectors(t)) return;
      const pw = sourcePassword(store);
      const r = await cli(['key', 'inspect', join(root, path), '--json', ...pw.args], pw.env);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.deepEqual([report.kind, report.opened, report.keys.length], ['cryptopro-pfx', true, 1]);
      assert.match(report.encryption, /CryptoPro's PBE \(1\.2\.840\.113549\.1\.12\.1\.80\)/);
      const [k, got] = [store.keys[0]!, report.keys[0]];
      assert.deepEqual(
        [got.algorithmOid, got.curveOid, got.digestOid],
        [ruGostKeyOid(k.params.algorithm), k.params.curve, k.params.digest],
      );
      assert.equal(got.certificate.sha256, k.certificate.sha256_der);
      assert.equal(got.certificate.serialNumber, k.certificate.serial);
      assert.equal(report.certificates[0].sha256, k.certificate.sha256_der, 'the own certificate first');
      // The fingerprint is the key's: the one its exported PKCS#8 gives.
      const pem = JSON.parse((await cli(['key', 'inspect', join(root, k.pkcs8_pem_file), '--json'])).stdout);
      assert.equal(got.fingerprint, pem.keys[0].fingerprint);
    });

  it('a CryptoPro PFX with a password, inspected without one: what it is, and to give --password-env (exit 0); a wrong one: exit 1', async (t) => {
    if (!vectors(t)) return;
    const path = join(root, 'cryptopro-corefx/pfx/Cli_2012_256_pw1.pfx');
    const r = await cli(['key', 'inspect', path, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual([report.kind, report.opened, report.keys, report.certificates], ['cryptopro-pfx', false, [], []]);
    assert.match(report.notes.join('\n'), /give --password-env to see the key and certificates/);
    const text = await cli(['key', 'inspect', path]);
    assert.match(text.stdout, /: CryptoPro PFX/);
    const secret = 'not-the-pfx-password';
    const wrong = await cli(['key', 'inspect', path, '--password-env', 'PP'], { PP: secret });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong password \(the PKCS#12 integrity check failed\); check the secret behind env:PP/);
    assert.ok(!wrong.stderr.includes(secret) && !wrong.stdout.includes(secret));
  });

  it('text output: short aligned lines; the non-exportable and the password-protected container say so', async (t) => {
    if (!vectors(t)) return;
    const r = await cli(['key', 'inspect', join(root, 'cryptopro-corefx/containers/0000rtin.001')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: CryptoPro container\n/);
    assert.match(r.stdout, /^ {4}exportable {3}no \(CryptoPro policy\)$/m);
    assert.match(r.stdout, /^ {2}password +none$/m);
    assert.deepEqual(
      r.stdout.split('\n').filter((l) => l.length > 100),
      [],
    );
    const pw = await cli(['key', 'inspect', join(root, 'get-cpcert/g2001.000')]);
    assert.match(pw.stdout, /^ {2}password +set$/m);
    assert.match(pw.stdout, /^ {4}algorithm +GOST R 34\.10-2001 \(1\.2\.643\.2\.2\.19, stored as 1\.2\.643\.2\.2\.98\)$/m);
    const two = await cli(['key', 'inspect', join(root, 'cryptopro-corefx/containers/G2012256.001'), '-o', 'text']);
    assert.match(two.stdout, /^ {2}password +unknown/m);
    assert.match(two.stdout, /^ {2}key 2 +exchange key \(secondary slot\)$/m);
  });

  it('--password-env opens the container too (the password checked); a wrong one: exit 1', async (t) => {
    if (!vectors(t)) return;
    const path = join(root, 'get-cpcert/g2012256.000');
    const ok = await cli(['key', 'inspect', path, '--json', '--password-env', 'CP'], { CP: '1' });
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.opened, true);
    assert.match(report.notes.join('\n'), /the password opens the container/);
    const wrong = await cli(['key', 'inspect', path, '--password-env', 'CP'], { CP: 'nope-123' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong password/);
    assert.ok(!wrong.stderr.includes('nope-123'));
  });

  it('PEM: an exported key with its certificate, plain or encrypted (described with --password-env only)', async (t) => {
    if (!vectors(t)) return;
    const store = expected['cryptopro-corefx/containers/G2012256.001']!;
    const exchange = store.keys[1]!;
    const plain = await cli(['key', 'inspect', join(root, 'get-cpcert/g2001.pem'), '--json']);
    assert.equal(plain.code, 0, plain.stderr);
    const p = JSON.parse(plain.stdout);
    assert.deepEqual(
      [p.kind, p.encryption, p.keys.length, p.keys[0].fingerprint],
      ['pem', 'none', 1, expected['get-cpcert/g2001.000']!.keys[0]!.primaryFP_hex],
    );
    assert.equal(p.keys[0].certificate.sha256, expected['get-cpcert/g2001.000']!.keys[0]!.certificate.sha256_der);
    assert.match(p.warnings.join('\n'), /not encrypted/);
    const out = fresh('enc.pem');
    const e = await cli(
      [
        'key',
        'export',
        '--from',
        join(root, 'cryptopro-corefx/containers/G2012256.001'),
        '--key-usage',
        'exchange',
        '--out',
        out,
        '--out-password-env',
        'O',
      ],
      { O: 'secret' },
    );
    assert.equal(e.code, 0, e.stderr);
    const locked = JSON.parse((await cli(['key', 'inspect', out, '--json'])).stdout);
    assert.deepEqual([locked.kind, locked.opened, locked.keys.length], ['pem', false, 0]);
    assert.match(locked.encryption, /^PBES2 \(PBKDF2-HMAC-SHA256, \d+ iterations, AES-256-CBC\)$/);
    assert.match(locked.notes.join('\n'), /give --password-env to see it/);
    const open = JSON.parse((await cli(['key', 'inspect', out, '--json', '--password-env', 'O'], { O: 'secret' })).stdout);
    assert.deepEqual(
      [open.opened, open.keys[0].fingerprint, open.keys[0].curveOid],
      [true, exchange.fingerprint_hex, exchange.params.curve],
    );
    const wrong = await cli(['key', 'inspect', out, '--password-env', 'O'], { O: 'not-it' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong password for the encrypted key; check the secret behind env:O/);
  });

  it('--json into a reader that goes away (| head -1): no EPIPE stack trace', async (t) => {
    if (!vectors(t)) return;
    const err = await new Promise<string>((resolve) => {
      const sh = spawn('sh', ['-c', `"${process.execPath}" "${bin}" key inspect --json "$P" | head -1 >/dev/null`], {
        env: { ...process.env, P: join(root, 'cryptopro-corefx/containers/G2012512.000') },
      });
      let e = '';
      sh.stderr.on('data', (d: Buffer) => (e += d));
      sh.on('close', () => resolve(e));
    });
    assert.equal(err, '');
  });
});

describe('trustflow key: help and usage', () => {
  it('the group and both commands answer --help (exit 0); a typo gets "did you mean"; inspect needs its PATH', async () => {
    const group = await cli(['key', '--help']);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /^ {2}trustflow key inspect /m);
    assert.match(group.stdout, /^ {2}trustflow key export /m);
    const top = await cli(['--help']);
    assert.match(top.stdout, /^ {2}key inspect /m);
    assert.match(top.stdout, /^ {2}key export /m);
    for (const c of ['inspect', 'export']) {
      const h = await cli(['key', c, '--help']);
      assert.equal(h.code, 0);
      assert.match(h.stdout, new RegExp(`^usage: trustflow key ${c}`));
    }
    const typo = await cli(['key', 'export', '--form', 'x', '--out', 'y']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown option '--form' for trustflow key export; did you mean --from\?/);
    const cmd = await cli(['key', 'exprot']);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /did you mean 'key export'\?/);
    const noPath = await cli(['key', 'inspect']);
    assert.equal(noPath.code, 2);
    assert.match(noPath.stderr, /trustflow key inspect needs PATH/);
  });
});
