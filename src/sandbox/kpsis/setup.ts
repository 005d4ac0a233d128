// The KPSIS room: the CA standing in for NCES (manifest.kpsis), the KPSIS key-generation simulator
// (k-of-n shards, secret-shards.ts), the shard holders' password files and the
// kpsisIssueCertificate example.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Room } from '../room.js';
import { createNcesCa } from './nces-ca.js';
import { createKpsisSimulator } from './simulator.js';

export const setupKpsis: Room = async ({ dir, ports, logger }) => {
  const kpsisDir = join(dir, 'kpsis');
  await mkdir(kpsisDir, { recursive: true, mode: 0o700 });
  const ncesCa = await createNcesCa(kpsisDir);
  const kpsis = createKpsisSimulator({
    logger,
    ca: { keyPem: ncesCa.keyPem, certPem: ncesCa.certPem },
    saveDir: join(kpsisDir, 'keygensrvc'),
  });
  await kpsis.listen(ports.kpsis ?? 0);
  const kpsisPasswords: `file:/${string}`[] = [];
  for (let i = 1; i <= 5; i++) {
    const path = join(kpsisDir, `holder${i}.password`);
    await writeFile(path, randomBytes(9).toString('base64url') + '\n', { mode: 0o600 });
    kpsisPasswords.push(`file:${path}` as `file:/${string}`);
  }
  return {
    simulators: { kpsis },
    manifest: { kpsis: { caCertificate: ncesCa.certPath, caIssueUrl: `${kpsis.baseUrl}/api/v1/ca/issue` } },
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
    },
  };
};
