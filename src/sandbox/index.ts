// The sandbox: local simulators of the trust services, a sandbox CA and test keys, for tests, the
// `npm start` demo and users' own integration tests. `startSandbox` writes DIR/sandbox.json with
// every service's base URL, the CA, the test key references and a ready input per workflow type.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import type { KonturSignInInput } from '../common/contracts/kontur-sign-in.js';
import type { MptSignInInput } from '../common/contracts/mpt-sign-in.js';
import { gostOpensslEnv } from '../crypto/gost.js';
import { createGostPki, type GostPki } from './gost-pki.js';
import { createKonturSimulator } from './kontur.js';
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
  /** GOST keys for Kontur (absent when gost-engine is not installed). */
  konturKeys?: Record<string, { key: string; certificate: string; format: 'pem' | 'pkcs12'; password: string; bits: number; thumbprint: string; registered: boolean }>;
  examples: { mptSignIn: MptSignInInput; konturSignIn?: KonturSignInInput };
}

export interface Sandbox {
  dir: string;
  manifest: SandboxManifest;
  manifestPath: string;
  pki: SandboxPki;
  simulators: { ismpt: Simulator; kontur?: Simulator };
  gostPki?: GostPki;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  dir: string;
  /** Fixed ports per service; 0 or absent = any free port. */
  ports?: { ismpt?: number; kontur?: number };
  logger?: Logger;
}

/** Registered IS MPT participants; 'mpt-unregistered' has a valid certificate but is not one. */
const MPT_USERS = [
  { name: 'mpt-legacy', commonName: 'ТЕСТОВ ТЕСТ ЛЕГАСИ', iin: '900101300017', encryption: 'legacy-3des' as const },
  { name: 'mpt-aes', commonName: 'ТЕСТОВА АЙГЕРИМ', iin: '850202400026', encryption: 'aes-256' as const },
  { name: 'mpt-unregistered', commonName: 'НЕЗАРЕГИСТРИРОВАННЫЙ УЧАСТНИК', iin: '770303300035', encryption: 'legacy-3des' as const },
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

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const pki = await createSandboxPki(dir, MPT_USERS);

  const logger = opts.logger ?? createLogger({ name: 'trustflow-sandbox' });
  const ismpt = createIsmptSimulator({ caCertificate: pki.caCertificate, registeredIds: MPT_REGISTERED, logger });
  await ismpt.listen(opts.ports?.ismpt ?? 0);

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
    examples: {
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
    simulators: { ismpt, ...(kontur ? { kontur } : {}) },
    ...(gostPki ? { gostPki } : {}),
    stop: async () => {
      await ismpt.close();
      await kontur?.close();
    },
  };
}
