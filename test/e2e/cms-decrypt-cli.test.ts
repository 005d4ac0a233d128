// `trustflow cms decrypt` on the published TC26 vectors, and decryptCms with every key format it
// accepts: plain and encrypted PEM PKCS#8, PKCS#12 with GOST PBE, RSA recipients (node-forge path).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CmsDecryptError, decryptCms } from '../../src/crypto/cms/decrypt.js';
import { runGostOpenssl } from '../../src/crypto/openssl-gost-engine.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { createSandboxPki } from '../../src/sandbox/pki.js';
import { repoRoot, vectorsOrSkip } from '../helpers/paths.js';

const run = promisify(execFile);
let tmp: string;
before(async () => (tmp = await mkdtemp(join(tmpdir(), 'trustflow-decrypt-'))));
after(() => rm(tmp, { recursive: true, force: true }));

const trustflow = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  run(process.execPath, [join(repoRoot, 'bin', 'trustflow.js'), ...args], { env }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('trustflow cms decrypt', () => {
  it('decrypts all four TC26 EnvelopedData examples to the reference plaintext', async (t) => {
    const v = vectorsOrSkip(t, 'tc26_cms');
    if (!v) return;
    const plain = (await readFile(join(v, 'plain', 'text_decrypted.plain'))).subarray(0, -1);
    for (const [file, r, originator] of [
      ['encrypted_keytrans_a231.pem', 'recipient256'],
      ['encrypted_keytrans_a241.pem', 'recipient512'],
      ['encrypted_keyagree_a211.pem', 'recipient512', 'sender512_cert.pem'],
      ['encrypted_keyagree_a221.pem', 'recipient256', 'sender256_cert.pem'],
    ] as const) {
      const out = join(tmp, `${file}.out`);
      const res = await trustflow([
        'cms',
        'decrypt',
        '--key',
        join(v, `${r}_key.pem`),
        '--cert',
        join(v, `${r}_cert.pem`),
        '--in',
        join(v, file),
        '--out',
        out,
        ...(originator ? ['--originator', join(v, originator)] : []),
      ]);
      assert.equal(res.code, 0, `${file}: ${res.stderr}`);
      assert.deepEqual(await readFile(out), plain, file);
    }
  });

  it("refuses a key that is not the certificate's, and a CryptoPro container, with exit 1 and a reason", async (t) => {
    const v = vectorsOrSkip(t, 'tc26_cms');
    if (!v) return;
    const wrong = await trustflow([
      'cms',
      'decrypt',
      '--key',
      join(v, 'sender256_key.pem'),
      '--cert',
      join(v, 'recipient256_cert.pem'),
      '--in',
      join(v, 'encrypted_keytrans_a231.pem'),
      '--out',
      join(tmp, 'x'),
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /does not belong to the recipient certificate/);
    const container = join(tmp, 'user.000');
    await mkdir(container);
    await writeFile(join(container, 'header.key'), 'x');
    const cp = await trustflow([
      'cms',
      'decrypt',
      '--key',
      container,
      '--cert',
      join(v, 'recipient256_cert.pem'),
      '--in',
      join(v, 'encrypted_keytrans_a231.pem'),
      '--out',
      join(tmp, 'x'),
    ]);
    assert.equal(cp.code, 1);
    assert.match(cp.stderr, /user\.000: not a CryptoPro container: masks\.key, primary\.key missing/);
  });

  it('decrypts with every genuine CryptoPro container and CryptoPro PFX, messages encrypted by OpenSSL + gost-engine to their certificates', async (t) => {
    const v = vectorsOrSkip(t, 'cryptopro');
    if (!v) return;
    const expected = JSON.parse(await readFile(join(v, 'expected.json'), 'utf8')) as Record<
      string,
      { password: string; keys: { slot?: string; certificate_file: string }[] }
    >;
    const plain = Buffer.from('the random value Kontur sends, in a test');
    await writeFile(join(tmp, 'cp-plain'), plain);
    let n = 0;
    for (const [store, e] of Object.entries(expected)) {
      if (store.includes('other-formats')) continue;
      // The exchange key: the only key, or the secondary of a two-key container.
      const k = e.keys.find((key) => !key.slot?.startsWith('primary (signature')) ?? e.keys[0]!;
      const certificate = join(v, k.certificate_file);
      const message = join(tmp, `cp-${++n}.der`);
      await runGostOpenssl([
        'cms',
        '-encrypt',
        '-binary',
        '-in',
        join(tmp, 'cp-plain'),
        '-outform',
        'DER',
        '-out',
        message,
        '-gost89',
        certificate,
      ]);
      const out = join(tmp, `cp-${n}.out`);
      const args = ['cms', 'decrypt', '--key', join(v, store), '--in', message, '--out', out];
      // A container brings its certificate; a PFX is given one, as any PKCS#12.
      if (store.endsWith('.pfx')) args.push('--cert', certificate);
      if (e.password) args.push('--key-password-env', 'TF_CP_PASSWORD');
      const res = await trustflow(args, { ...process.env, TF_CP_PASSWORD: e.password });
      assert.equal(res.code, 0, `${store}: ${res.stderr}`);
      assert.deepEqual(await readFile(out), plain, store);
    }
    assert.equal(n, 11, 'seven containers and four PFX files');
  });
});

describe('decryptCms key formats', () => {
  it('GOST 2012-256: encrypted PEM PKCS#8 and PKCS#12 with GOST PBE, each with its password', async () => {
    const key = join(tmp, 'g.key');
    const cert = join(tmp, 'g.crt');
    const env = { TF_PW: 'Пароль-256' };
    await runGostOpenssl(
      ['genpkey', '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A', '-aes-256-cbc', '-pass', 'env:TF_PW', '-out', key],
      { env },
    );
    await runGostOpenssl(
      [
        'req',
        '-new',
        '-x509',
        '-key',
        key,
        '-passin',
        'env:TF_PW',
        '-md_gost12_256',
        '-days',
        '30',
        '-subj',
        '/CN=Test/C=RU',
        '-out',
        cert,
      ],
      { env },
    );
    const p12 = join(tmp, 'g.p12');
    await runGostOpenssl(
      [
        'pkcs12',
        '-export',
        '-inkey',
        key,
        '-passin',
        'env:TF_PW',
        '-in',
        cert,
        '-keypbe',
        'gost89',
        '-certpbe',
        'gost89',
        '-macalg',
        'md_gost12_256',
        '-passout',
        'env:TF_PW',
        '-out',
        p12,
      ],
      { env },
    );
    const secret = Buffer.from('rnd-for-kontur-0123456789');
    const cms = (await runGostOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-gost89', cert], { stdin: secret })).stdout;
    const certificate = await readFile(cert);
    assert.deepEqual(await decryptCms({ cms, certificate, key: { format: 'pem', pem: await readFile(key), password: env.TF_PW } }), secret);
    assert.deepEqual(
      await decryptCms({ cms, certificate, key: { format: 'pkcs12', der: await readFile(p12), password: env.TF_PW } }),
      secret,
    );
    await assert.rejects(
      decryptCms({ cms, certificate, key: { format: 'pkcs12', der: await readFile(p12), password: 'wrong' } }),
      (e: unknown) => e instanceof CmsDecryptError && e.reason === 'bad-password',
    );
    await assert.rejects(
      decryptCms({ cms, certificate, key: { format: 'pem', pem: await readFile(key), password: 'wrong' } }),
      (e: unknown) => e instanceof CmsDecryptError && e.reason === 'bad-password',
    );
  });

  it("RSA recipient (PKCS#1 v1.5 key transport, OpenSSL's default) through node-forge", async () => {
    const pki = await createSandboxPki(join(tmp, 'rsa'), [{ name: 'u', commonName: 'ТЕСТ', iin: '900101300017', encryption: 'aes-256' }]);
    const u = pki.users['u']!;
    const certPath = join(tmp, 'rsa.crt');
    await writeFile(certPath, u.certificate.toString());
    const secret = Buffer.from('rsa-enveloped-secret');
    const cms = (await runOpenssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes256', certPath], { stdin: secret })).stdout;
    const password = (await readFile(u.passwordRef.slice(5), 'utf8')).trim();
    assert.deepEqual(
      await decryptCms({ cms, certificate: u.certificate.raw, key: { format: 'pkcs12', der: await readFile(u.p12Path), password } }),
      secret,
    );
  });
});
