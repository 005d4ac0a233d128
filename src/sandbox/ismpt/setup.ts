// The IS MPT room: the sandbox's main CA and the MPT participants' PKCS#12 keys (manifest.ca,
// manifest.keys, Sandbox.pki), the IS MPT simulator and the mptSignIn example.
import { createSandboxPki } from '../pki.js';
import type { Room } from '../room.js';
import { createIsmptSimulator } from './simulator.js';

/**
 * Registered IS MPT participants; 'mpt-unregistered' has a valid certificate but is not one;
 * 'mpt-expired' is the legacy participant's previous key, expired a month ago.
 */
const MPT_USERS = [
  { name: 'mpt-legacy', commonName: 'ТЕСТОВ ТЕСТ ЛЕГАСИ', iin: '900101300017', encryption: 'legacy-3des' as const },
  { name: 'mpt-aes', commonName: 'ТЕСТОВА АЙГЕРИМ', iin: '850202400026', encryption: 'aes-256' as const },
  { name: 'mpt-unregistered', commonName: 'НЕЗАРЕГИСТРИРОВАННЫЙ УЧАСТНИК', iin: '770303300035', encryption: 'legacy-3des' as const },
  {
    name: 'mpt-expired',
    commonName: 'ТЕСТОВ ТЕСТ ЛЕГАСИ',
    iin: '900101300017',
    encryption: 'legacy-3des' as const,
    validFromDaysAgo: 400,
    validDays: -35,
  },
];
const MPT_REGISTERED = ['900101300017', '850202400026'];

export const setupIsmpt: Room = async ({ dir, ports, logger }) => {
  const pki = await createSandboxPki(dir, MPT_USERS);
  const ismpt = createIsmptSimulator({ caCertificate: pki.caCertificate, registeredIds: MPT_REGISTERED, logger });
  await ismpt.listen(ports.ismpt ?? 0);
  const legacy = pki.users['mpt-legacy']!;
  return {
    simulators: { ismpt },
    pki,
    manifest: {
      ca: { certificate: pki.caCertPath },
      keys: Object.fromEntries(
        Object.values(pki.users).map((u) => [
          u.name,
          {
            p12: u.p12Path,
            password: u.passwordRef,
            encryption: u.encryption,
            iin: u.iin,
            registered: MPT_REGISTERED.includes(u.iin),
            subject: u.certificate.subject,
          },
        ]),
      ),
    },
    examples: {
      mptSignIn: { baseUrl: ismpt.baseUrl, signer: { kind: 'pkcs12', path: legacy.p12Path, password: legacy.passwordRef } },
    },
  };
};
