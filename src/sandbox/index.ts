// The sandbox: local simulators of the trust services, a sandbox CA and test keys, for tests, the
// `npm start` demo and users' own integration tests. `startSandbox` writes DIR/sandbox.json with
// every service's base URL, the CA, the test key references and a ready input per workflow type.
//
// A room per provider: src/sandbox/<provider>/ holds that provider's simulator, its fixtures (users,
// keys, photos, CA) and a setup.ts that starts them and returns its part of the manifest (services,
// keys/fixtures, examples). Shared here: simulator.ts (the HTTP framework and admin API), pki.ts,
// room.ts (the manifest's shape and what a room returns), this file and main.ts. Adding a provider
// = one new folder + one line in ROOMS.
//
// The rule: a simulator does NOT import wire types or schemas from the provider client it simulates
// (src/providers/<p>/). A misreading of a wire format shared by both could never be caught by its
// own simulator; the simulator states the wire format itself, from the provider's documentation.
// Helpers from crypto/ and common/ are fine.
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { createLogger } from '../common/logger.js';
import { flowContracts } from '../flows/contracts.js';
import { setupCipher } from './cipher/setup.js';
import { setupCredentials } from './credentials/setup.js';
import { setupIsmpt } from './ismpt/setup.js';
import { setupKisc } from './kisc/setup.js';
import { setupKontur } from './kontur/setup.js';
import type { GostPki } from './kontur/gost-pki.js';
import { setupKpsis } from './kpsis/setup.js';
import { setupKzGost } from './kz-gost/setup.js';
import { setupNcaLayer } from './ncalayer/setup.js';
import type { SandboxPki } from './pki.js';
import type { Room, RoomPart, SandboxExamples, SandboxManifest, SandboxOptions, SandboxService, SandboxSimulators } from './room.js';

export { issueSandboxCertificate, sandboxAdmin, type Fault } from './simulator.js';
export type { SandboxExamples, SandboxManifest, SandboxOptions } from './room.js';

/**
 * The rooms, in start order (also the order of manifest.services). NCALayer after IS MPT and kz-gost:
 * it offers their CA's and GOST keys and registers its keys at IS MPT. Kontur last: it may be left out.
 */
const ROOMS: readonly Room[] = [setupIsmpt, setupKisc, setupCipher, setupKpsis, setupCredentials, setupKzGost, setupNcaLayer, setupKontur];

export interface Sandbox {
  dir: string;
  manifest: SandboxManifest;
  manifestPath: string;
  pki: SandboxPki;
  simulators: SandboxSimulators;
  gostPki?: GostPki;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const ctx = { dir, ports: opts.ports ?? {}, logger: opts.logger ?? createLogger({ name: 'trustflow-sandbox' }) };

  const parts: RoomPart[] = [];
  const started: SandboxService[] = [];
  const stop = async () => {
    for (const s of started) await s.close();
  };
  try {
    for (const room of ROOMS) {
      const earlier = {
        simulators: Object.assign({}, ...parts.map((p) => p.simulators)) as RoomPart['simulators'],
        manifest: Object.assign({}, ...parts.map((p) => p.manifest)) as RoomPart['manifest'],
        pki: parts.find((p) => p.pki)?.pki,
      };
      const part = await room({ ...ctx, earlier });
      parts.push(part);
      started.push(...Object.values(part.simulators).filter((s): s is NonNullable<typeof s> => s !== undefined));
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  const simulators = Object.assign({}, ...parts.map((p) => p.simulators)) as Partial<SandboxSimulators>;
  const examples = Object.assign({}, ...parts.map((p) => p.examples)) as Partial<SandboxExamples>;
  const pki = parts.find((p) => p.pki)?.pki;
  const gostPki = parts.find((p) => p.gostPki)?.gostPki;
  const manifest = {
    createdAt: new Date().toISOString(),
    services: Object.fromEntries(
      Object.entries(simulators).map(([name, s]) => [name, { baseUrl: s!.baseUrl, admin: `${s!.adminBaseUrl}/__sandbox` }]),
    ),
    ...Object.assign({}, ...parts.map((p) => p.manifest)),
    // In the registry's order of workflow types.
    examples: Object.fromEntries(
      Object.keys(flowContracts).flatMap((t) => (t in examples ? [[t, examples[t as keyof SandboxExamples]]] : [])),
    ),
  } as SandboxManifest;
  const missing = [
    ...(['ismpt', 'kisc', 'cipher', 'kpsis', 'alerts', 'ncalayer'] as const).filter((s) => !simulators[s]).map((s) => `simulators.${s}`),
    ...(['ca', 'keys', 'kisc', 'cipher', 'kpsis', 'credentials', 'kzGost', 'ncalayer'] as const)
      .filter((k) => !manifest[k])
      .map((k) => `manifest.${k}`),
    ...Object.keys(flowContracts)
      .filter((t) => t !== 'konturSignIn' && !(t in examples))
      .map((t) => `examples.${t}`),
    ...(pki ? [] : ['pki']),
  ];
  if (missing.length > 0) {
    await stop();
    throw new Error(`sandbox: no room provides ${missing.join(', ')}`);
  }

  const manifestPath = join(dir, 'sandbox.json');
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');

  return {
    dir,
    manifest,
    manifestPath,
    pki: pki!,
    simulators: simulators as SandboxSimulators,
    ...(gostPki ? { gostPki } : {}),
    stop,
  };
}
