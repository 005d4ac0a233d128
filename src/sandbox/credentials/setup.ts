// The credentials room: the alert webhook receiver (with the sandbox's credential CA that issues
// certificates valid for seconds or minutes), its shared secret, a few credential files and an
// example inventory (manifest.credentials). `npm start` applies that inventory; tests make their own.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Room } from '../room.js';
import { createAlertReceiver } from './alert-receiver.js';
import { ShortLivedCa } from './short-lived-ca.js';

export const setupCredentials: Room = async ({ dir, ports, logger }) => {
  const credDir = join(dir, 'credentials');
  await mkdir(credDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(24).toString('base64url');
  const secretPath = join(credDir, 'webhook.secret');
  await writeFile(secretPath, secret + '\n', { mode: 0o600 });

  const ca = new ShortLivedCa();
  const alerts = createAlertReceiver({ secret, ca, logger });
  await alerts.listen(ports.alerts ?? 0);

  // A certificate that expires in 10 minutes (a fresh one: POST <alerts>/ca/issue {"validFor": "5m"}),
  // a signing key valid a year, and the CA's root.
  const expiring = ca.issue({ validForMs: 10 * 60_000 });
  const expiringPath = join(credDir, 'expiring-soon.pem');
  await writeFile(expiringPath, expiring.chainPem);
  const signing = ca.issue({ validForMs: 365 * 86_400_000, organization: 'ТОО Пример' });
  const p12Path = join(credDir, 'signing.p12');
  const p12PasswordPath = join(credDir, 'signing.password');
  const p12Password = randomBytes(12).toString('base64url');
  await writeFile(p12Path, signing.pkcs12(p12Password), { mode: 0o600 });
  await writeFile(p12PasswordPath, p12Password + '\n', { mode: 0o600 });
  const rootPath = join(credDir, 'root-ca.pem');
  await writeFile(rootPath, ca.rootPem);

  const inventoryPath = join(credDir, 'inventory.yaml');
  const inventory = {
    version: 1,
    checks: { every: '1h', jitter: '1m' },
    credentials: [
      { id: 'sandbox-expiring-soon', kind: 'certificate', file: expiringPath, owner: 'sandbox ops', labels: { tenant: 'sandbox' } },
      { id: 'sandbox-signing-key', kind: 'pkcs12', file: p12Path, password: `file:${p12PasswordPath}`, labels: { tenant: 'sandbox' } },
      { id: 'sandbox-root-ca', kind: 'certificate', file: rootPath },
    ],
  };
  await writeFile(
    inventoryPath,
    `# trustflow credential inventory (sandbox example): trustflow credentials apply ${inventoryPath}\n${stringify(inventory)}`,
  );

  return {
    simulators: { alerts },
    manifest: {
      credentials: {
        alertWebhookUrl: `${alerts.baseUrl}/alerts`,
        alertWebhookSecret: `file:${secretPath}`,
        issueUrl: `${alerts.baseUrl}/ca/issue`,
        inventory: inventoryPath,
        rootCa: rootPath,
      },
    },
    examples: {},
  };
};
