// The KISC room: its own CA and mutual TLS, participant keys (TLS and signing), persons with a photo
// in the "state record" (manifest.kisc), the KISC simulator and the kiscVerifyIdentity and
// kiscReconcile examples.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSandboxPki } from '../pki.js';
import type { Room } from '../room.js';
import { samplePng } from './photos.js';
import { createKiscSimulator } from './simulator.js';
import { kiscDate } from '../../contracts/kisc-time.js';

/** KISC participant certificates: 'kisc-tls' is a 14-day initial key, as KISC issues them first. */
const KISC_TLS_USERS = [
  { name: 'kisc-tls', commonName: 'АО ТЕСТ БАНК (TLS)', iin: '990140000010', encryption: 'legacy-3des' as const, validDays: 14 },
  { name: 'kisc-tls-aes', commonName: 'АО ТЕСТ БАНК (TLS, AES)', iin: '990140000010', encryption: 'aes-256' as const },
  {
    name: 'kisc-tls-expired',
    commonName: 'АО ТЕСТ БАНК (TLS, истёк)',
    iin: '990140000010',
    encryption: 'legacy-3des' as const,
    validFromDaysAgo: 20,
    validDays: -6,
  },
  { name: 'kisc-tls-unregistered', commonName: 'АО ДРУГОЙ БАНК', iin: '990240000020', encryption: 'legacy-3des' as const },
  { name: 'kisc-signing', commonName: 'АО ТЕСТ БАНК (подпись)', iin: '990140000010', encryption: 'legacy-3des' as const },
];
const KISC_REGISTERED_TLS = ['kisc-tls', 'kisc-tls-aes', 'kisc-tls-expired'];
const KISC_PERSONS = [
  {
    name: 'sarsenbayev',
    iin: '890101300002',
    personalData: {
      iin: '890101300002',
      last_name: 'САРСЕНБАЕВ',
      first_name: 'ЕРЛАН',
      middle_name: 'МАРАТҰЛЫ',
      birth_date: '1989-01-01',
      gender: 'M',
      citizenship: 'KZ',
      nationality: 'ҚАЗАҚ',
      document: { type: 'ID_CARD', number: '049871234', issue_date: '2019-05-14', expiry_date: '2029-05-13', issuer: 'МВД РК' },
      address: { region: 'г. Алматы', street: 'пр. Абая', house: '150' },
    },
    mobilephone: '+77011234567',
  },
  {
    name: 'zhumabayeva',
    iin: '920315400000',
    personalData: {
      iin: '920315400000',
      last_name: 'ЖУМАБАЕВА',
      first_name: 'АЙГЕРИМ',
      middle_name: 'НУРЛАНОВНА',
      birth_date: '1992-03-15',
      gender: 'F',
      citizenship: 'KZ',
      nationality: 'ҚАЗАҚ',
      document: { type: 'ID_CARD', number: '051234987', issue_date: '2021-02-01', expiry_date: '2031-01-31', issuer: 'МВД РК' },
      address: { region: 'г. Астана', street: 'ул. Кенесары', house: '40' },
    },
    mobilephone: '+77027654321',
  },
];

export const setupKisc: Room = async ({ dir, ports, logger }) => {
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
      {
        name: 'K9000666',
        tlsFingerprints: KISC_REGISTERED_TLS.map((n) => ku[n]!.certificate.fingerprint256),
        signingCertificate: ku['kisc-signing']!.certificate,
      },
    ],
    persons: kiscPersons,
    logger,
  });
  await kisc.listen(ports.kisc ?? 0, ports.kiscAdmin ?? 0);

  const tls = { p12: ku['kisc-tls']!.p12Path, password: ku['kisc-tls']!.passwordRef, ca: kiscPki.caCertPath };
  return {
    simulators: { kisc },
    manifest: {
      kisc: {
        ca: kiscPki.caCertPath,
        tlsKeys: Object.fromEntries(
          KISC_TLS_USERS.filter((u) => u.name !== 'kisc-signing').map((u) => [
            u.name,
            {
              p12: ku[u.name]!.p12Path,
              password: ku[u.name]!.passwordRef,
              encryption: u.encryption,
              registered: KISC_REGISTERED_TLS.includes(u.name),
              validTo: new Date(ku[u.name]!.certificate.validTo).toISOString(),
            },
          ]),
        ),
        signingKey: { p12: ku['kisc-signing']!.p12Path, password: ku['kisc-signing']!.passwordRef },
        persons: KISC_PERSONS.map((p) => ({
          name: p.name,
          iin: p.iin,
          photo: `file:${join(photosDir, `${p.name}.png`)}`,
          otherPhoto: `file:${join(photosDir, `${p.name}-someone-else.png`)}`,
        })),
      },
    },
    examples: {
      kiscVerifyIdentity: {
        baseUrl: kisc.baseUrl,
        tls,
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
        tls: { ...tls },
        from: kiscDate(new Date()),
        to: kiscDate(new Date()),
      },
    },
  };
};
