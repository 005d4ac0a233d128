// The sandbox: local simulators of the trust services, a sandbox CA and test keys, for tests, the
// `npm start` demo and users' own integration tests. `startSandbox` writes DIR/sandbox.json with
// every service's base URL, the CA, the test key references and a ready input per workflow type.
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import type { MptSignInInput } from '../common/contracts/mpt-sign-in.js';
import { createLogger, type Logger } from '../common/logger.js';
import { createIsmptSimulator } from './ismpt.js';
import { createSandboxPki, type SandboxPki } from './pki.js';
import type { Simulator } from './simulator.js';

export { sandboxAdmin, type Fault } from './simulator.js';

export interface SandboxManifest {
  createdAt: string;
  services: Record<string, { baseUrl: string; admin: string }>;
  ca: { certificate: string };
  keys: Record<string, { p12: string; password: string; encryption: string; iin: string; registered: boolean; subject: string }>;
  examples: { mptSignIn: MptSignInInput };
}

export interface Sandbox {
  dir: string;
  manifest: SandboxManifest;
  manifestPath: string;
  pki: SandboxPki;
  simulators: { ismpt: Simulator };
  stop(): Promise<void>;
}

export interface SandboxOptions {
  dir: string;
  /** Fixed ports per service; 0 or absent = any free port. */
  ports?: { ismpt?: number };
  logger?: Logger;
}

/** Registered IS MPT participants; 'mpt-unregistered' has a valid certificate but is not one. */
const MPT_USERS = [
  { name: 'mpt-legacy', commonName: 'ТЕСТОВ ТЕСТ ЛЕГАСИ', iin: '900101300017', encryption: 'legacy-3des' as const },
  { name: 'mpt-aes', commonName: 'ТЕСТОВА АЙГЕРИМ', iin: '850202400026', encryption: 'aes-256' as const },
  { name: 'mpt-unregistered', commonName: 'НЕЗАРЕГИСТРИРОВАННЫЙ УЧАСТНИК', iin: '770303300035', encryption: 'legacy-3des' as const },
];
const MPT_REGISTERED = ['900101300017', '850202400026'];

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const pki = await createSandboxPki(dir, MPT_USERS);

  const logger = opts.logger ?? createLogger({ name: 'trustflow-sandbox' });
  const ismpt = createIsmptSimulator({ caCertificate: pki.caCertificate, registeredIds: MPT_REGISTERED, logger });
  await ismpt.listen(opts.ports?.ismpt ?? 0);

  const legacy = pki.users['mpt-legacy']!;
  const manifest: SandboxManifest = {
    createdAt: new Date().toISOString(),
    services: { ismpt: { baseUrl: ismpt.baseUrl, admin: `${ismpt.baseUrl}/__sandbox` } },
    ca: { certificate: pki.caCertPath },
    keys: Object.fromEntries(
      Object.values(pki.users).map((u) => [
        u.name,
        { p12: u.p12Path, password: u.passwordRef, encryption: u.encryption, iin: u.iin, registered: MPT_REGISTERED.includes(u.iin), subject: u.certificate.subject },
      ]),
    ),
    examples: {
      mptSignIn: { baseUrl: ismpt.baseUrl, signer: { kind: 'pkcs12', path: legacy.p12Path, password: legacy.passwordRef } },
    },
  };
  const manifestPath = join(dir, 'sandbox.json');
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');

  return {
    dir,
    manifest,
    manifestPath,
    pki,
    simulators: { ismpt },
    stop: async () => {
      await ismpt.close();
    },
  };
}
