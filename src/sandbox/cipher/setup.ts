// The Cipher room: its own CA and PKCS#12 key containers, a document to sign (manifest.cipher), the
// Cipher agent simulator and the cipherSign and cipherInspectKeyStore examples.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSandboxPki } from '../pki.js';
import type { Room } from '../room.js';
import { createCipherSimulator } from './simulator.js';

/**
 * Cipher key containers: PKCS#12 files with RSA keys standing in for DSTU 4145 containers (no
 * DSTU 4145 implementation is installable here). One valid a year, one expiring in 5 days (the
 * agent's "< 14 days" warning), one expired.
 */
const CIPHER_USERS = [
  {
    name: 'cipher-key',
    commonName: 'Коваль Кирило Кирилович',
    iin: '000000000000',
    subjectSerial: 'TINUA-1234567891',
    country: 'UA',
    encryption: 'legacy-3des' as const,
  },
  {
    name: 'cipher-key-expiring',
    commonName: 'Шевченко Олена Петрівна',
    iin: '000000000000',
    subjectSerial: 'TINUA-2345678912',
    country: 'UA',
    encryption: 'aes-256' as const,
    validDays: 5,
  },
  {
    name: 'cipher-key-expired',
    commonName: 'Бондар Андрій Іванович',
    iin: '000000000000',
    subjectSerial: 'TINUA-3456789123',
    country: 'UA',
    encryption: 'legacy-3des' as const,
    validFromDaysAgo: 30,
    validDays: -1,
  },
];
const CIPHER_CA_ID = 'sandbox.cipher.ca';
const CIPHER_CA_NAME = 'ЦСК SANDBOX (CIPHER STAND-IN)';

export const setupCipher: Room = async ({ dir, ports, logger }) => {
  const cipherDir = join(dir, 'cipher');
  const cipherPki = await createSandboxPki(cipherDir, CIPHER_USERS, CIPHER_CA_NAME);
  const cipherDocument = join(cipherDir, 'document.txt');
  await writeFile(cipherDocument, 'Договір № 42 від 24.11.2026. Сторони погодили умови постачання.\n', { mode: 0o600 });
  const cipher = createCipherSimulator({ caId: CIPHER_CA_ID, caName: CIPHER_CA_NAME, logger });
  await cipher.listen(ports.cipher ?? 0);
  const cu = cipherPki.users;
  const key = cu['cipher-key']!;
  return {
    simulators: { cipher },
    manifest: {
      cipher: {
        caId: CIPHER_CA_ID,
        ca: cipherPki.caCertPath,
        containers: Object.fromEntries(
          CIPHER_USERS.map((u) => [
            u.name,
            {
              file: `file:${cu[u.name]!.p12Path}`,
              password: cu[u.name]!.passwordRef,
              notAfter: new Date(cu[u.name]!.certificate.validTo).toISOString(),
            },
          ]),
        ),
        document: `file:${cipherDocument}`,
      },
    },
    examples: {
      cipherSign: {
        baseUrl: cipher.baseUrl,
        data: `file:${cipherDocument}`,
        keyStore: { file: `file:${key.p12Path}` },
        password: key.passwordRef,
        options: { caId: CIPHER_CA_ID, signatureType: 'detached' },
      },
      cipherInspectKeyStore: {
        baseUrl: cipher.baseUrl,
        keyStore: { file: `file:${key.p12Path}` },
        password: key.passwordRef,
      },
    },
  };
};
