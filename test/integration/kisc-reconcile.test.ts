// kiscReconcile end to end: a real Temporal dev server, the worker code, the KISC simulator over
// HTTPS with mutual TLS on loopback. KISC's transactions report (the simulator's billing ledger) is
// read against the verifications trustflow recorded (kiscVerifyIdentity's search attributes).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { executeFlow } from '../../src/client/flows.js';
import type { KiscVerifyIdentityInput } from '../../src/flows/kisc/kisc-verify-identity.contract.js';
import { KiscClient } from '../../src/providers/kisc/index.js';
import { openMutualTls } from '../../src/providers/mutual-tls.js';
import { resolveSecret } from '../../src/secrets/resolve.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { assertResultFitsContract } from '../helpers/result-schema.js';
import { kiscReconcile, kiscVerifyIdentity } from '../../src/flows/index.js';

const taskQueue = 'kisc-reconcile-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let admin: string;
let n = 0;

const example = () => sandbox.manifest.examples.kiscVerifyIdentity;
const input = (extra: Partial<KiscVerifyIdentityInput> = {}): KiscVerifyIdentityInput => ({ ...example(), ...extra });
const wfId = (name: string) => `test-kisc-${name}-${++n}`;
const state = () => sandboxAdmin(admin, 'state');
const fileOf = (ref: string) => ref.slice('file:'.length);

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client, sandbox } = t);
  admin = sandbox.simulators.kisc.adminBaseUrl;
  // A verification trustflow recorded that the ledger will not have (the reset before each test
  // wipes it): what the reconciliation must report missing. In kisc-verify-identity.test.ts, where
  // this test used to run last, the flow's earlier tests left such records.
  await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('earlier'), input: input({ fetchPersonalData: false }), taskQueue });
});

after(() => t?.stop());

beforeEach(() => sandboxAdmin(admin, 'reset'));

describe('kiscReconcile', () => {
  it("finds a charge trustflow never made in KISC's transactions report", async () => {
    const ours = await executeFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('reconcile-ours'),
      input: input({ fetchPersonalData: false }),
      taskQueue,
    });

    // Someone else with this participant's certificate makes a verification outside trustflow.
    const { agent } = await openMutualTls(example().tls, resolveSecret, { provider: 'KISC', renewalAdvice: '', warn: () => {} });
    const stranger = await new KiscClient({ baseUrl: example().baseUrl, agent }).verify({
      iin: example().iin,
      vendorId: 2,
      idempotencyKey: 'aaaaaaaa-0000-4000-8000-000000000001',
      photo: await readFile(fileOf(example().photo)),
      contentType: 'image/png',
    });

    const r = await executeFlow(client, kiscReconcile, {
      workflowId: wfId('reconcile'),
      input: sandbox.manifest.examples.kiscReconcile,
      taskQueue,
    });
    assert.equal(r.reported, 2);
    assert.equal(r.matched, 1);
    // Earlier tests' verifications are in trustflow's records but were wiped from the simulator's
    // ledger by its reset: exactly those are reported missing.
    const ledger = new Set(((await state()).billing as { key: string }[]).map((b) => b.key));
    assert.ok(r.missing.every((m) => !ledger.has(m.idempotencyKey) && m.workflowId.startsWith('test-kisc-')));
    assert.equal(r.recorded, r.matched + r.missing.length);
    assert.deepEqual(r.chargedWithoutResult, []);
    assert.deepEqual(
      r.unexpected.map((u) => [u.idempotencyKey, u.vendor, u.similarity]),
      [[stranger.x_idempotency_key, 'FORENSICS', stranger.result]],
    );
    assert.ok(!r.unexpected.some((u) => u.idempotencyKey === ours.idempotencyKey));
    assert.ok(r.missing.length > 0, 'the earlier verification, reported missing, is held to the schema too');
    assertResultFitsContract('kiscReconcile', r, [
      'from',
      'to',
      'recorded',
      'reported',
      'matched',
      'missing',
      'unexpected',
      'chargedWithoutResult',
    ]);
  });
});
