// The Kazakh GOST room: a GOST 34.310-2004 test CA and a legal entity's signing key with a
// certificate from it, generated at every start, the key in a GOSTKNCA_<SKI>.p12 laid out as NCA RK
// writes them (pki.ts). No simulator: these are the files the `trustflow cms sign|verify` and
// `cert verify` examples of docs/kz-gost.md use (manifest.kzGost).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKzGostKey, KZ_GOST } from '../../crypto/gost/kz-gost.js';
import type { Room } from '../room.js';
import { issueKzGostCertificate, NAME, ncaPkcs12, subjectKeyIdOf } from './pki.js';

const IIN = '890101300002';
const BIN = '990140000010';
const DAY = 86_400_000;
/** NCA's extended key usages of a legal entity's signing certificate (as in GOSTKNCA_*.p12). */
export const LEGAL_ENTITY_SIGNING = ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.2', '1.2.398.3.3.4.1.2.1'];

export const setupKzGost: Room = async ({ dir }) => {
  const out = join(dir, 'kz-gost');
  await mkdir(out, { recursive: true, mode: 0o700 });
  const algorithm = KZ_GOST.gost2004;
  const now = Date.now();

  const caKey = generateKzGostKey(algorithm);
  const ca = issueKzGostCertificate({
    key: caKey,
    subject: [
      [NAME.country, 'KZ'],
      [NAME.commonName, 'ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST SANDBOX)'],
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
      [NAME.serialNumber, `IIN${IIN}`],
      [NAME.country, 'KZ'],
      [NAME.locality, 'АЛМАТЫ'],
      [NAME.state, 'АЛМАТЫ'],
      [NAME.organization, 'АО "ТЕСТ" (SANDBOX)'],
      [NAME.organizationalUnit, `BIN${BIN}`],
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
  const caCertificate = join(out, 'ca.pem');
  await writeFile(caCertificate, ca.toString());
  const certificatePath = join(out, 'signing.pem');
  await writeFile(certificatePath, certificate.toString());

  return {
    simulators: {},
    examples: {},
    manifest: {
      kzGost: {
        algorithm: algorithm.name,
        p12,
        password: `file:${passwordFile}` as `file:/${string}`,
        passwordFile,
        certificate: certificatePath,
        caCertificate,
        iin: IIN,
        bin: BIN,
        validTo: new Date(certificate.validTo).toISOString(),
      },
    },
  };
};
