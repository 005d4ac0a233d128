// The sandbox: local simulators of the trust services, a sandbox CA and test keys, for tests, the
// `npm start` demo and users' own integration tests. `startSandbox` writes DIR/sandbox.json with
// every service's base URL, the CA, the test key references and a ready input per workflow type.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import type { CipherInspectKeyStoreInput } from '../contracts/cipher-inspect-key-store.js';
import type { CipherSignInput } from '../contracts/cipher-sign.js';
import type { KiscReconcileInput } from '../contracts/kisc-reconcile.js';
import type { KiscVerifyIdentityInput } from '../contracts/kisc-verify-identity.js';
import type { KpsisIssueCertificateInput } from '../contracts/kpsis-issue-certificate.js';
import type { KonturSignInInput } from '../contracts/kontur-sign-in.js';
import type { MptSignInInput } from '../contracts/mpt-sign-in.js';
import { gostOpensslEnv } from '../crypto/gost.js';
import { createGostPki, type GostPki } from './gost-pki.js';
import { createKonturSimulator } from './kontur.js';
import { createLogger, type Logger } from '../common/logger.js';
import { createIsmptSimulator } from './ismpt.js';
import { createCipherSimulator } from './cipher.js';
import { createKiscSimulator } from './kisc.js';
import { createKpsisSimulator } from './kpsis.js';
import { createNcesCa } from './nces-ca.js';
import { samplePng } from './photos.js';
import { createSandboxPki, type SandboxPki } from './pki.js';
import type { Simulator } from './simulator.js';

export { issueSandboxCertificate, sandboxAdmin, type Fault } from './simulator.js';

export interface SandboxManifest {
  createdAt: string;
  services: Record<string, { baseUrl: string; admin: string }>;
  ca: { certificate: string };
  keys: Record<string, { p12: string; password: string; encryption: string; iin: string; registered: boolean; subject: string }>;
  /** GOST keys for Kontur (absent when gost-engine is not installed). */
  konturKeys?: Record<string, { key: string; certificate: string; format: 'pem' | 'pkcs12'; password: string; bits: number; thumbprint: string; registered: boolean }>;
  /** KISC: TLS client keys (registered or not), the signing key, the KISC CA and persons of the "state record". */
  kisc: {
    ca: string;
    tlsKeys: Record<string, { p12: string; password: string; encryption: string; registered: boolean; validTo: string }>;
    signingKey: { p12: string; password: string };
    persons: { name: string; iin: string; photo: string; otherPhoto: string }[];
  };
  /** Cipher: PKCS#12 key containers (RSA stand-ins for DSTU 4145 keys) and the CA id to sign with. */
  cipher: {
    caId: string;
    ca: string;
    containers: Record<string, { file: string; password: string; notAfter: string }>;
    document: string;
  };
  /** KPSIS: the sandbox CA standing in for NCES (issue: POST <kpsis baseUrl>/api/v1/ca/issue). */
  kpsis: { caCertificate: string; caIssueUrl: string };
  examples: {
    kpsisIssueCertificate: KpsisIssueCertificateInput;
    cipherSign: CipherSignInput;
    cipherInspectKeyStore: CipherInspectKeyStoreInput;
    mptSignIn: MptSignInInput;
    konturSignIn?: KonturSignInInput;
    kiscVerifyIdentity: KiscVerifyIdentityInput;
    kiscReconcile: KiscReconcileInput;
  };
}

export interface Sandbox {
  dir: string;
  manifest: SandboxManifest;
  manifestPath: string;
  pki: SandboxPki;
  simulators: { ismpt: Simulator; kisc: Simulator; cipher: Simulator; kpsis: Simulator; kontur?: Simulator };
  gostPki?: GostPki;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  dir: string;
  /** Fixed ports per service; 0 or absent = any free port. */
  ports?: { ismpt?: number; kontur?: number; kisc?: number; kiscAdmin?: number; cipher?: number; kpsis?: number };
  logger?: Logger;
}

/**
 * Registered IS MPT participants; 'mpt-unregistered' has a valid certificate but is not one;
 * 'mpt-expired' is the legacy participant's previous key, expired a month ago.
 */
const MPT_USERS = [
  { name: 'mpt-legacy', commonName: 'ТЕСТОВ ТЕСТ ЛЕГАСИ', iin: '900101300017', encryption: 'legacy-3des' as const },
  { name: 'mpt-aes', commonName: 'ТЕСТОВА АЙГЕРИМ', iin: '850202400026', encryption: 'aes-256' as const },
  { name: 'mpt-unregistered', commonName: 'НЕЗАРЕГИСТРИРОВАННЫЙ УЧАСТНИК', iin: '770303300035', encryption: 'legacy-3des' as const },
  { name: 'mpt-expired', commonName: 'ТЕСТОВ ТЕСТ ЛЕГАСИ', iin: '900101300017', encryption: 'legacy-3des' as const, validFromDaysAgo: 400, validDays: -35 },
];
const MPT_REGISTERED = ['900101300017', '850202400026'];

/** Kontur users: 'kontur-unbound' is bound to no account, two others trigger CertNotValid / CertRegisterFail. */
const KONTUR_USERS = [
  { name: 'kontur-256', commonName: 'Иванов Иван Иванович', bits: 256 as const, format: 'pem' as const },
  { name: 'kontur-512', commonName: 'Петрова Анна Сергеевна', bits: 512 as const, format: 'pkcs12' as const },
  { name: 'kontur-unbound', commonName: 'Непривязанный Пользователь', bits: 256 as const, format: 'pem' as const },
  { name: 'kontur-no-key-usage', commonName: 'Без Шифрования', bits: 256 as const, format: 'pem' as const, noKeyUsage: true },
  { name: 'kontur-register-fails', commonName: 'Сбой Регистрации', bits: 256 as const, format: 'pem' as const },
];

/** KISC participant certificates: 'kisc-tls' is a 14-day initial key, as KISC issues them first. */
const KISC_TLS_USERS = [
  { name: 'kisc-tls', commonName: 'АО ТЕСТ БАНК (TLS)', iin: '990140000010', encryption: 'legacy-3des' as const, validDays: 14 },
  { name: 'kisc-tls-aes', commonName: 'АО ТЕСТ БАНК (TLS, AES)', iin: '990140000010', encryption: 'aes-256' as const },
  { name: 'kisc-tls-expired', commonName: 'АО ТЕСТ БАНК (TLS, истёк)', iin: '990140000010', encryption: 'legacy-3des' as const, validFromDaysAgo: 20, validDays: -6 },
  { name: 'kisc-tls-unregistered', commonName: 'АО ДРУГОЙ БАНК', iin: '990240000020', encryption: 'legacy-3des' as const },
  { name: 'kisc-signing', commonName: 'АО ТЕСТ БАНК (подпись)', iin: '990140000010', encryption: 'legacy-3des' as const },
];
const KISC_REGISTERED_TLS = ['kisc-tls', 'kisc-tls-aes', 'kisc-tls-expired'];
const KISC_PERSONS = [
  {
    name: 'sarsenbayev',
    iin: '890101300002',
    personalData: {
      iin: '890101300002', last_name: 'САРСЕНБАЕВ', first_name: 'ЕРЛАН', middle_name: 'МАРАТҰЛЫ', birth_date: '1989-01-01', gender: 'M',
      citizenship: 'KZ', nationality: 'ҚАЗАҚ',
      document: { type: 'ID_CARD', number: '049871234', issue_date: '2019-05-14', expiry_date: '2029-05-13', issuer: 'МВД РК' },
      address: { region: 'г. Алматы', street: 'пр. Абая', house: '150' },
    },
    mobilephone: '+77011234567',
  },
  {
    name: 'zhumabayeva',
    iin: '920315400000',
    personalData: {
      iin: '920315400000', last_name: 'ЖУМАБАЕВА', first_name: 'АЙГЕРИМ', middle_name: 'НУРЛАНОВНА', birth_date: '1992-03-15', gender: 'F',
      citizenship: 'KZ', nationality: 'ҚАЗАҚ',
      document: { type: 'ID_CARD', number: '051234987', issue_date: '2021-02-01', expiry_date: '2031-01-31', issuer: 'МВД РК' },
      address: { region: 'г. Астана', street: 'ул. Кенесары', house: '40' },
    },
    mobilephone: '+77027654321',
  },
];

/**
 * Cipher key containers: PKCS#12 files with RSA keys standing in for DSTU 4145 containers (no
 * DSTU 4145 implementation is installable here). One valid a year, one expiring in 5 days (the
 * agent's "< 14 days" warning), one expired.
 */
const CIPHER_USERS = [
  { name: 'cipher-key', commonName: 'Коваль Кирило Кирилович', iin: '000000000000', subjectSerial: 'TINUA-1234567891', country: 'UA', encryption: 'legacy-3des' as const },
  { name: 'cipher-key-expiring', commonName: 'Шевченко Олена Петрівна', iin: '000000000000', subjectSerial: 'TINUA-2345678912', country: 'UA', encryption: 'aes-256' as const, validDays: 5 },
  { name: 'cipher-key-expired', commonName: 'Бондар Андрій Іванович', iin: '000000000000', subjectSerial: 'TINUA-3456789123', country: 'UA', encryption: 'legacy-3des' as const, validFromDaysAgo: 30, validDays: -1 },
];
const CIPHER_CA_ID = 'sandbox.cipher.ca';

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const pki = await createSandboxPki(dir, MPT_USERS);

  const logger = opts.logger ?? createLogger({ name: 'trustflow-sandbox' });
  const ismpt = createIsmptSimulator({ caCertificate: pki.caCertificate, registeredIds: MPT_REGISTERED, logger });
  await ismpt.listen(opts.ports?.ismpt ?? 0);

  // KISC: its own CA, mutual TLS, persons with a photo in the "state record".
  const kiscDir = join(dir, 'kisc');
  const kiscPki = await createSandboxPki(kiscDir, KISC_TLS_USERS, 'KISC SANDBOX CA (ҚРҰБ ЕОО)');
  const photosDir = join(kiscDir, 'photos');
  await mkdir(photosDir, { recursive: true, mode: 0o700 });
  const kiscPersons = [];
  for (const p of KISC_PERSONS) {
    const photo = samplePng(`${p.name}:state-record`);
    await writeFile(join(photosDir, `${p.name}.png`), photo, { mode: 0o600 });
    await writeFile(join(photosDir, `${p.name}-someone-else.png`), samplePng(`${p.name}:someone-else`), { mode: 0o600 });
    kiscPersons.push({ ...p, photoSha256: createHash('sha256').update(photo).digest('hex') });
  }
  const kiscServer = kiscPki.issueServerCertificate();
  const ku = kiscPki.users;
  const kisc = createKiscSimulator({
    tls: { key: kiscServer.keyPem, cert: kiscServer.certPem, ca: await readFile(kiscPki.caCertPath, 'utf8') },
    participants: [
      { name: 'K9000666', tlsFingerprints: KISC_REGISTERED_TLS.map((n) => ku[n]!.certificate.fingerprint256), signingCertificate: ku['kisc-signing']!.certificate },
    ],
    persons: kiscPersons,
    logger,
  });
  await kisc.listen(opts.ports?.kisc ?? 0, opts.ports?.kiscAdmin ?? 0);

  // Cipher: its own CA and key containers, a document to sign.
  const cipherDir = join(dir, 'cipher');
  const cipherPki = await createSandboxPki(cipherDir, CIPHER_USERS, 'ЦСК SANDBOX (CIPHER STAND-IN)');
  const cipherDocument = join(cipherDir, 'document.txt');
  await writeFile(cipherDocument, 'Договір № 42 від 24.11.2026. Сторони погодили умови постачання.\n', { mode: 0o600 });
  const cipher = createCipherSimulator({ caId: CIPHER_CA_ID, caName: 'ЦСК SANDBOX (CIPHER STAND-IN)', logger });
  await cipher.listen(opts.ports?.cipher ?? 0);
  const cu = cipherPki.users;

  // KPSIS: key generation with k-of-n shards, and the CA standing in for NCES.
  const kpsisDir = join(dir, 'kpsis');
  await mkdir(kpsisDir, { recursive: true, mode: 0o700 });
  const ncesCa = await createNcesCa(kpsisDir);
  const kpsis = createKpsisSimulator({ logger, ca: { keyPem: ncesCa.keyPem, certPem: ncesCa.certPem }, saveDir: join(kpsisDir, 'keygensrvc') });
  await kpsis.listen(opts.ports?.kpsis ?? 0);
  const kpsisPasswords: `file:/${string}`[] = [];
  for (let i = 1; i <= 5; i++) {
    const path = join(kpsisDir, `holder${i}.password`);
    await writeFile(path, randomBytes(9).toString('base64url') + '\n', { mode: 0o600 });
    kpsisPasswords.push(`file:${path}` as `file:/${string}`);
  }

  // Kontur needs OpenSSL + gost-engine; without it the other simulators still run.
  let kontur: Simulator | undefined;
  let gostPki: GostPki | undefined;
  let konturApiKeyRef: `file:/${string}` | undefined;
  const gostReady = await gostOpensslEnv().then(() => true, (err: Error) => (logger.warn(`Kontur simulator not started: ${err.message}`), false));
  if (gostReady) {
    gostPki = await createGostPki(join(dir, 'kontur'), KONTUR_USERS);
    const apiKeyPath = join(dir, 'kontur', 'api-key');
    await writeFile(apiKeyPath, randomBytes(16).toString('hex') + '\n', { mode: 0o600 });
    konturApiKeyRef = `file:${apiKeyPath}` as `file:/${string}`;
    const u = gostPki.users;
    kontur = createKonturSimulator({
      caCertPath: gostPki.caCertPath,
      apiKey: (await readFile(apiKeyPath, 'utf8')).trim(),
      users: {
        [u['kontur-256']!.thumbprint]: { userId: 'user-256' },
        [u['kontur-512']!.thumbprint]: { userId: 'user-512' },
        [u['kontur-no-key-usage']!.thumbprint]: { userId: 'user-no-ku' },
        [u['kontur-register-fails']!.thumbprint]: { userId: 'user-rf', registerFails: true },
      },
      logger,
    });
    await kontur.listen(opts.ports?.kontur ?? 0);
  }

  const legacy = pki.users['mpt-legacy']!;
  const manifest: SandboxManifest = {
    createdAt: new Date().toISOString(),
    services: {
      ismpt: { baseUrl: ismpt.baseUrl, admin: `${ismpt.baseUrl}/__sandbox` },
      kisc: { baseUrl: kisc.baseUrl, admin: `${kisc.adminBaseUrl}/__sandbox` },
      cipher: { baseUrl: cipher.baseUrl, admin: `${cipher.adminBaseUrl}/__sandbox` },
      kpsis: { baseUrl: kpsis.baseUrl, admin: `${kpsis.adminBaseUrl}/__sandbox` },
      ...(kontur ? { kontur: { baseUrl: kontur.baseUrl, admin: `${kontur.baseUrl}/__sandbox` } } : {}),
    },
    ca: { certificate: pki.caCertPath },
    keys: Object.fromEntries(
      Object.values(pki.users).map((u) => [
        u.name,
        { p12: u.p12Path, password: u.passwordRef, encryption: u.encryption, iin: u.iin, registered: MPT_REGISTERED.includes(u.iin), subject: u.certificate.subject },
      ]),
    ),
    ...(gostPki
      ? {
          konturKeys: Object.fromEntries(
            Object.values(gostPki.users).map((g) => [
              g.name,
              { key: g.keyPath, certificate: g.certificatePath, format: g.format, password: g.passwordRef, bits: g.bits, thumbprint: g.thumbprint, registered: g.name !== 'kontur-unbound' },
            ]),
          ),
        }
      : {}),
    kisc: {
      ca: kiscPki.caCertPath,
      tlsKeys: Object.fromEntries(
        KISC_TLS_USERS.filter((u) => u.name !== 'kisc-signing').map((u) => [
          u.name,
          { p12: ku[u.name]!.p12Path, password: ku[u.name]!.passwordRef, encryption: u.encryption, registered: KISC_REGISTERED_TLS.includes(u.name), validTo: new Date(ku[u.name]!.certificate.validTo).toISOString() },
        ]),
      ),
      signingKey: { p12: ku['kisc-signing']!.p12Path, password: ku['kisc-signing']!.passwordRef },
      persons: KISC_PERSONS.map((p) => ({ name: p.name, iin: p.iin, photo: `file:${join(photosDir, `${p.name}.png`)}`, otherPhoto: `file:${join(photosDir, `${p.name}-someone-else.png`)}` })),
    },
    cipher: {
      caId: CIPHER_CA_ID,
      ca: cipherPki.caCertPath,
      containers: Object.fromEntries(
        CIPHER_USERS.map((u) => [u.name, { file: `file:${cu[u.name]!.p12Path}`, password: cu[u.name]!.passwordRef, notAfter: new Date(cu[u.name]!.certificate.validTo).toISOString() }]),
      ),
      document: `file:${cipherDocument}`,
    },
    kpsis: { caCertificate: ncesCa.certPath, caIssueUrl: `${kpsis.baseUrl}/api/v1/ca/issue` },
    examples: {
      kpsisIssueCertificate: {
        baseUrl: kpsis.baseUrl,
        // The seed's example request, with password references instead of passwords.
        keyParam: { securityLevel: 128, iterationCount: 10000, usersNum: 5, thresholdNum: 3, passwords: kpsisPasswords },
        certReqParam: {
          type: 'service_and_tls',
          certInfo: {
            commonName: '*.example.org',
            description: 'Какой-то сервис',
            organization: 'ООО Организация',
            state: 'Минский район',
            locality: 'Минск',
            street: 'ул. Улица, 322, 212212',
            email: 'org@example.com',
            subjectAltNames: ['*.example.org', 'www.example.org'],
          },
        },
        artifactsDir: join(kpsisDir, `artifacts-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`),
        reminderEvery: '1d',
        giveUpAfter: '30d',
      },
      cipherSign: {
        baseUrl: cipher.baseUrl,
        data: `file:${cipherDocument}`,
        keyStore: { file: `file:${cu['cipher-key']!.p12Path}` },
        password: cu['cipher-key']!.passwordRef,
        options: { caId: CIPHER_CA_ID, signatureType: 'detached' },
      },
      cipherInspectKeyStore: {
        baseUrl: cipher.baseUrl,
        keyStore: { file: `file:${cu['cipher-key']!.p12Path}` },
        password: cu['cipher-key']!.passwordRef,
      },
      kiscVerifyIdentity: {
        baseUrl: kisc.baseUrl,
        tls: { p12: ku['kisc-tls']!.p12Path, password: ku['kisc-tls']!.passwordRef, ca: kiscPki.caCertPath },
        signingKey: { kind: 'pkcs12', path: ku['kisc-signing']!.p12Path, password: ku['kisc-signing']!.passwordRef },
        iin: KISC_PERSONS[0]!.iin,
        vendor: 1,
        photo: `file:${join(photosDir, `${KISC_PERSONS[0]!.name}.png`)}`,
        minSimilarity: 0.8,
        fetchPersonalData: true,
        consentText: 'Я, Сарсенбаев Ерлан Маратұлы, согласен на получение, хранение и обработку моих персональных данных третьими лицами.',
        personalDataFields: ['last_name', 'first_name', 'middle_name', 'birth_date'],
      },
      kiscReconcile: {
        baseUrl: kisc.baseUrl,
        tls: { p12: ku['kisc-tls']!.p12Path, password: ku['kisc-tls']!.passwordRef, ca: kiscPki.caCertPath },
        from: almatyDate(new Date()),
        to: almatyDate(new Date()),
      },
      mptSignIn: { baseUrl: ismpt.baseUrl, signer: { kind: 'pkcs12', path: legacy.p12Path, password: legacy.passwordRef } },
      ...(kontur && gostPki
        ? {
            konturSignIn: {
              baseUrl: kontur.baseUrl,
              apiKey: konturApiKeyRef!,
              key: { kind: 'pem' as const, path: gostPki.users['kontur-256']!.keyPath, certificate: gostPki.users['kontur-256']!.certificatePath, password: gostPki.users['kontur-256']!.passwordRef },
            },
          }
        : {}),
    },
  };
  const manifestPath = join(dir, 'sandbox.json');
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');

  return {
    dir,
    manifest,
    manifestPath,
    pki,
    simulators: { ismpt, kisc, cipher, kpsis, ...(kontur ? { kontur } : {}) },
    ...(gostPki ? { gostPki } : {}),
    stop: async () => {
      await ismpt.close();
      await kisc.close();
      await cipher.close();
      await kpsis.close();
      await kontur?.close();
    },
  };
}

/** Today in KISC's time zone (UTC+5), YYYY-MM-DD. */
function almatyDate(d: Date): string {
  return new Date(d.getTime() + 5 * 3600_000).toISOString().slice(0, 10);
}
