// The Kontur room: a GOST PKI (manifest.konturKeys, Sandbox.gostPki), an API key, the Kontur
// simulator and the konturSignIn example. It needs OpenSSL + gost-engine; without it the room
// starts nothing and contributes nothing (a warning), and the other rooms still run.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gostOpensslEnv } from '../../crypto/openssl-gost-engine.js';
import type { Room } from '../room.js';
import { createGostPki } from './gost-pki.js';
import { createKonturSimulator } from './simulator.js';

/** Kontur users: 'kontur-unbound' is bound to no account, two others trigger CertNotValid / CertRegisterFail. */
const KONTUR_USERS = [
  { name: 'kontur-256', commonName: 'Иванов Иван Иванович', bits: 256 as const, format: 'pem' as const },
  { name: 'kontur-512', commonName: 'Петрова Анна Сергеевна', bits: 512 as const, format: 'pkcs12' as const },
  { name: 'kontur-unbound', commonName: 'Непривязанный Пользователь', bits: 256 as const, format: 'pem' as const },
  { name: 'kontur-no-key-usage', commonName: 'Без Шифрования', bits: 256 as const, format: 'pem' as const, noKeyUsage: true },
  { name: 'kontur-register-fails', commonName: 'Сбой Регистрации', bits: 256 as const, format: 'pem' as const },
];

export const setupKontur: Room = async ({ dir, ports, logger }) => {
  const gostReady = await gostOpensslEnv().then(
    () => true,
    (err: Error) => (logger.warn(`Kontur simulator not started: ${err.message}`), false),
  );
  if (!gostReady) return { simulators: {}, manifest: {}, examples: {} };

  const gostPki = await createGostPki(join(dir, 'kontur'), KONTUR_USERS);
  const apiKeyPath = join(dir, 'kontur', 'api-key');
  await writeFile(apiKeyPath, randomBytes(16).toString('hex') + '\n', { mode: 0o600 });
  const u = gostPki.users;
  const kontur = createKonturSimulator({
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
  await kontur.listen(ports.kontur ?? 0);
  const key256 = u['kontur-256']!;
  return {
    simulators: { kontur },
    gostPki,
    manifest: {
      konturKeys: Object.fromEntries(
        Object.values(u).map((g) => [
          g.name,
          {
            key: g.keyPath,
            certificate: g.certificatePath,
            format: g.format,
            password: g.passwordRef,
            bits: g.bits,
            thumbprint: g.thumbprint,
            registered: g.name !== 'kontur-unbound',
          },
        ]),
      ),
    },
    examples: {
      konturSignIn: {
        baseUrl: kontur.baseUrl,
        apiKey: `file:${apiKeyPath}` as `file:/${string}`,
        key: { kind: 'pem', path: key256.keyPath, certificate: key256.certificatePath, password: key256.passwordRef },
      },
    },
  };
};
