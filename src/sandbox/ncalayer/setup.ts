// The NCALayer room: the person's desktop app (simulator.ts) on ws:// for tests and the demo and on
// wss:// with a self-signed certificate as the real app serves, one set of keys and switches, its
// admin API on loopback. The person's "token" holds an RSA key from the sandbox CA, the GOST 2004 key
// of the kz-gost room, a GOST 2015 512-bit key from a GOST 2015 test CA made here (all one person:
// the kz-gost room's IIN), and a valid RSA key of another IIN for the wrong-signer case. Every key
// is registered at the IS MPT sandbox (keepOnReset: its /__sandbox/reset keeps them), and every CA
// that issued them is in ncalayer/ca-bundle.pem, which the person-signer input's caBundle names.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKzGostKey, KZ_GOST } from '../../crypto/gost/kz-gost.js';
import { issueKzGostCertificate, NAME, ncaPkcs12, subjectKeyIdOf } from '../kz-gost/pki.js';
import { LEGAL_ENTITY_SIGNING } from '../kz-gost/setup.js';
import { selfSignedServerCertificate } from '../pki.js';
import type { NcaLayerService, Room, SandboxManifest } from '../room.js';
import { sandboxAdmin } from '../simulator.js';
import { createNcaLayerSimulator, type NcaLayerKey } from './simulator.js';

/** The wrong person: a valid, registered participant who is not the one asked to sign. */
const OTHER_IIN = '880202400036';
const DAY = 86_400_000;

type KeyEntry = SandboxManifest['ncalayer']['keys'][string];

export const setupNcaLayer: Room = async ({ dir, ports, logger, earlier }) => {
  const pki = earlier?.pki;
  const ismpt = earlier?.simulators.ismpt;
  const kzGost = earlier?.manifest.kzGost;
  if (!pki || !ismpt || !kzGost)
    throw new Error('sandbox: the NCALayer room needs the IS MPT room (CA, simulator) and the kz-gost room before it');
  const out = join(dir, 'ncalayer');
  await mkdir(out, { recursive: true, mode: 0o700 });

  const keys: (NcaLayerKey & { entry: KeyEntry; pem: string })[] = [];
  const rsa = async (name: string, commonName: string, iin: string, wrongPerson: boolean) => {
    const user = await pki.issueUser({ name: `ncalayer-${name}`, commonName, iin, encryption: wrongPerson ? 'legacy-3des' : 'aes-256' });
    const certificate = join(out, `${name}.pem`);
    const pem = user.certificate.toString();
    await writeFile(certificate, pem);
    keys.push({
      name,
      signer: { kind: 'pkcs12', path: user.p12Path, password: user.passwordRef },
      entry: { iin, bin: null, algorithm: 'RSA', certificate, wrongPerson },
      pem,
    });
  };

  // The person, an individual (no BIN) with the kz-gost room's IIN: the default key.
  await rsa('person-rsa', 'ТЕСТОВ ТЕСТ ТЕСТОВИЧ', kzGost.iin, false);
  keys.push({
    name: 'person-gost2004',
    signer: { kind: 'pkcs12', path: kzGost.p12, password: kzGost.password },
    entry: { iin: kzGost.iin, bin: kzGost.bin, algorithm: kzGost.algorithm, certificate: kzGost.certificate, wrongPerson: false },
    pem: await readFile(kzGost.certificate, 'utf8'),
  });
  const gost2015 = await gost2015Key(join(out, 'gost2015'), kzGost.iin, kzGost.bin);
  keys.push({ name: 'person-gost2015', signer: gost2015.signer, entry: gost2015.entry, pem: gost2015.pem });
  await rsa('wrong-person', 'ДРУГОВ ДРУГ ДРУГОВИЧ', OTHER_IIN, true);

  const caBundle = join(out, 'ca-bundle.pem');
  const caPems = [pki.caCertificate.toString(), await readFile(kzGost.caCertificate, 'utf8'), gost2015.caPem];
  await writeFile(caBundle, caPems.map((p) => p.trim() + '\n').join(''));

  // The IS MPT sandbox trusts its own CA's certificates but not the GOST CAs': every key is
  // registered by its certificate (which also registers its IIN as a participant), for good.
  for (const k of keys) await sandboxAdmin(ismpt.adminBaseUrl, 'config', { registerCertificate: k.pem, keepOnReset: true });

  const tls = selfSignedServerCertificate();
  await writeFile(join(out, 'wss-certificate.pem'), tls.certPem);
  const sim = createNcaLayerSimulator({
    keys: keys.map(({ name, signer }) => ({ name, signer })),
    ...(ports.ncalayer !== undefined ? { port: ports.ncalayer } : {}),
    ...(ports.ncalayerAdmin !== undefined ? { adminPort: ports.ncalayerAdmin } : {}),
    wss: { key: tls.keyPem, cert: tls.certPem, ...(ports.ncalayerWss !== undefined ? { port: ports.ncalayerWss } : {}) },
    logger,
  });
  await sim.start();
  const wssUrl = sim.wssUrl!;
  const ncalayer: NcaLayerService = {
    get baseUrl() {
      return sim.url;
    },
    get adminBaseUrl() {
      return sim.adminUrl;
    },
    wssUrl,
    close: () => sim.stop(),
  };

  const defaultKey = keys[0]!.entry;
  return {
    simulators: { ncalayer },
    examples: {},
    manifest: {
      ncalayer: {
        url: sim.url,
        wssUrl,
        admin: sim.adminUrl,
        caBundle,
        keys: Object.fromEntries(keys.map((k) => [k.name, k.entry])),
        defaultKey: keys[0]!.name,
        personSigner: {
          kind: 'person',
          role: 'director',
          expected: { iin: defaultKey.iin, ...(defaultKey.bin ? { bin: defaultKey.bin } : {}) },
          caBundle,
          deadline: '10m',
          remindEvery: '2m',
          challengeTtl: '4m',
          locale: 'ru',
        },
      },
    },
  };
};

/**
 * A GOST 34.310-2015 512-bit test CA and a legal entity's signing key from it (the same person as the
 * kz-gost room's 2004 key), the key in NCA's GOSTKNCA_<SKI>.p12 layout.
 */
async function gost2015Key(out: string, iin: string, bin: string) {
  await mkdir(out, { recursive: true, mode: 0o700 });
  const algorithm = KZ_GOST['gost2015-512'];
  const now = Date.now();
  const caKey = generateKzGostKey(algorithm);
  const ca = issueKzGostCertificate({
    key: caKey,
    subject: [
      [NAME.country, 'KZ'],
      [NAME.commonName, 'ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST 2015 SANDBOX)'],
    ],
    ca: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 10 * 365 * DAY),
  });
  const key = generateKzGostKey(algorithm);
  const certificate = issueKzGostCertificate({
    key,
    issuer: { key: caKey, certificate: ca },
    subject: [
      [NAME.commonName, 'ТЕСТОВ ТЕСТ'],
      [NAME.surname, 'ТЕСТОВ'],
      [NAME.serialNumber, `IIN${iin}`],
      [NAME.country, 'KZ'],
      [NAME.organization, 'АО "ТЕСТ" (SANDBOX)'],
      [NAME.organizationalUnit, `BIN${bin}`],
      [NAME.givenName, 'ТЕСТОВИЧ'],
    ],
    ca: false,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 365 * DAY),
    extKeyUsage: LEGAL_ENTITY_SIGNING,
  });
  const password = randomBytes(12).toString('base64url');
  const passwordFile = join(out, 'GOSTKNCA.password');
  await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  const p12 = join(out, `GOSTKNCA_${subjectKeyIdOf(certificate)}.p12`);
  await writeFile(p12, ncaPkcs12(key, certificate, password), { mode: 0o600 });
  const certificatePath = join(out, 'signing.pem');
  const pem = certificate.toString();
  await writeFile(certificatePath, pem);
  await writeFile(join(out, 'ca.pem'), ca.toString());
  return {
    signer: { kind: 'pkcs12' as const, path: p12, password: `file:${passwordFile}` },
    entry: { iin, bin, algorithm: algorithm.name, certificate: certificatePath, wrongPerson: false },
    pem,
    caPem: ca.toString(),
  };
}
