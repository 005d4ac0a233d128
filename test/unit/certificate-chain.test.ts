// Chains through a whole CA bundle, checked against `openssl verify`: the order of the bundle never
// decides the verdict, an intermediate in the bundle is followed to its root, and an expired link
// anywhere is named. Certificates are made here with the openssl command line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { verifyChain } from '../../src/crypto/certificates/chain.js';
import { repoRoot } from '../helpers/paths.js';

const run = promisify(execFile);
let dir: string;

const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
const pem = async (name: string) => readFile(join(dir, `${name}.pem`), 'utf8');
const cert = async (name: string) => new X509Certificate(await pem(name));

/** A CA (self-signed, or signed by `issuer`) or a leaf, with `days` of validity from now (negative: already expired). */
async function make(name: string, o: { issuer?: string; ca: boolean; startDays?: number; days: number }): Promise<void> {
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  await openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}/O=trustflow test`, '-out', `${name}.csr`);
  const ext = o.ca ? 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' : 'basicConstraints=CA:false\n';
  await writeFile(join(dir, `${name}.ext`), `${ext}subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`);
  // openssl x509 -days counts from now; a past window is made with the `ca` command's explicit dates.
  const start = new Date(Date.now() + (o.startDays ?? 0) * 86_400_000);
  const end = new Date(start.getTime() + o.days * 86_400_000);
  const asn1 = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  const issuer = o.issuer ?? name;
  await writeFile(
    join(dir, `${name}.cnf`),
    `[ca]\ndefault_ca=c\n[c]\ndatabase=${name}.db\nnew_certs_dir=.\nserial=${name}.srl\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n`,
  );
  await writeFile(join(dir, `${name}.db`), '');
  await writeFile(join(dir, `${name}.srl`), `${(Math.floor(Math.random() * 1e9) + 4096).toString(16).padStart(8, '0')}\n`);
  await openssl(
    'ca',
    '-batch',
    '-config',
    `${name}.cnf`,
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.pem`,
    '-notext',
    '-startdate',
    asn1(start),
    '-enddate',
    asn1(end),
    '-extfile',
    `${name}.ext`,
    ...(issuer === name ? ['-selfsign', '-keyfile', `${name}.key`] : ['-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`]),
  );
}

/** openssl's own verdict on the same files. */
async function opensslVerify(leaf: string, bundle: string[]): Promise<boolean> {
  await writeFile(join(dir, 'bundle.pem'), (await Promise.all(bundle.map(pem))).join(''));
  return openssl('verify', '-CAfile', 'bundle.pem', `${leaf}.pem`).then(
    () => true,
    () => false,
  );
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trustflow-chain-'));
  await make('root', { ca: true, days: 3650 });
  await make('other-root', { ca: true, days: 3650 });
  await make('intermediate', { issuer: 'root', ca: true, days: 1000 });
  await make('leaf', { issuer: 'intermediate', ca: false, days: 365 });
  await make('direct-leaf', { issuer: 'root', ca: false, days: 365 });
  await make('old-intermediate', { issuer: 'root', ca: true, startDays: -800, days: 700 });
  await make('leaf-of-old', { issuer: 'old-intermediate', ca: false, startDays: -400, days: 365 * 3 });
});
after(() => rm(dir, { recursive: true, force: true }));

describe('verifyChain through a CA bundle', () => {
  it('finds the issuer anywhere in the bundle: every order gives the same verdict, as openssl verify does', async () => {
    const leaf = await cert('direct-leaf');
    for (const order of [
      ['root', 'other-root'],
      ['other-root', 'root'],
    ]) {
      const v = verifyChain(leaf, await Promise.all(order.map(cert)));
      assert.equal(v.valid, true, `${order.join(',')}: ${v.problems.join('; ')}`);
      assert.equal(await opensslVerify('direct-leaf', order), true);
      assert.deepEqual(
        v.path.map((l) => l.certificate.subject.split('\n')[0]),
        ['CN=direct-leaf', 'CN=root'],
      );
    }
  });

  it('follows an intermediate to its root, in any order; without the root the intermediate is trusted as given', async () => {
    const leaf = await cert('leaf');
    for (const order of [
      ['root', 'intermediate'],
      ['intermediate', 'other-root', 'root'],
    ]) {
      const v = verifyChain(leaf, await Promise.all(order.map(cert)));
      assert.equal(v.valid, true, v.problems.join('; '));
      assert.deepEqual(
        v.path.map((l) => l.certificate.subject.split('\n')[0]),
        ['CN=leaf', 'CN=intermediate', 'CN=root'],
      );
      assert.equal(await opensslVerify('leaf', order), true);
    }
    const alone = verifyChain(leaf, [await cert('intermediate')]);
    assert.equal(alone.valid, true, alone.problems.join('; '));
  });

  it('refuses a bundle without the issuer, and names an expired intermediate (openssl agrees)', async () => {
    const none = verifyChain(await cert('leaf'), [await cert('other-root')]);
    assert.equal(none.valid, false);
    assert.equal(await opensslVerify('leaf', ['other-root']), false);
    const expired = verifyChain(await cert('leaf-of-old'), [await cert('root'), await cert('old-intermediate')]);
    assert.equal(expired.valid, false);
    assert.match(expired.problems.join('\n'), /CA 'CN=old-intermediate.*': expired on /);
    assert.equal(await opensslVerify('leaf-of-old', ['root', 'old-intermediate']), false);
  });

  it('trustflow cert verify --ca BUNDLE: the issuer second in the bundle gives exit 0 and the chain', async () => {
    await writeFile(join(dir, 'two.pem'), (await pem('other-root')) + (await pem('root')));
    const r = await run(process.execPath, [
      join(repoRoot, 'bin', 'trustflow.js'),
      'cert',
      'verify',
      '--cert',
      join(dir, 'direct-leaf.pem'),
      '--ca',
      join(dir, 'two.pem'),
    ]).then(
      (x) => ({ code: 0, ...x }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.valid, true);
    assert.equal(out.caBundleSize, 2);
    assert.match(out.ca.subject, /^CN=root/);
  });
});
