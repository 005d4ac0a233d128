// Provider outages while flows are in flight (the simulators' POST /__sandbox/outage: every API
// request answers 503, or has its connection closed). Outages within the retry policies' bounds end
// with every flow completed and nothing billed, signed in or approved twice; one longer than a
// policy's bound ends in a typed, retry-safe failure with nothing left half-done. CI uses seconds;
// `node dist/bench/outage-drill.js` (bench/outage-drill.ts) runs the full 5 minutes per provider (see docs/reliability.md).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startFlow } from '../../src/client/flows.js';
import { FailureType } from '../../src/common/errors.js';
import { workflowIds } from '../../src/contracts/workflow-ids.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { failureOf, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { cipherSign, kiscVerifyIdentity, konturSignIn, mptSignIn } from '../../src/flows/index.js';

const taskQueue = 'outage-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let n = 0;

type Provider = 'ismpt' | 'kisc' | 'cipher' | 'kontur';
const admin = (p: Provider) => sandbox.simulators[p]!.adminBaseUrl;

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client, sandbox } = t);
  assert.ok(sandbox.simulators.kontur, 'needs OpenSSL + gost-engine');
});
after(() => t?.stop());
beforeEach(async () => {
  for (const p of ['ismpt', 'kisc', 'cipher', 'kontur'] as const) await sandboxAdmin(admin(p), 'reset');
  await sandboxAdmin(admin('cipher'), 'config', { signingMs: 0 });
});

/** Starts the flow, and the provider's outage once `endpoint` (mid-flow) has been reached. */
async function outageDuring(
  p: Provider,
  endpoint: string,
  seconds: number,
  mode: 'unavailable' | 'reset',
  start: () => Promise<WorkflowHandle>,
) {
  await sandboxAdmin(admin(p), 'faults', { endpoint, action: 'delay', delayMs: 300 });
  const handle = await start();
  for (let i = 0; !((await sandboxAdmin(admin(p), 'state')).calls?.[endpoint] >= 1); i++) {
    assert.ok(i < 800, `${p} ${endpoint} was not reached`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await sandboxAdmin(admin(p), 'outage', { seconds, mode });
  return handle;
}

const refused = async (p: Provider) => (await sandboxAdmin(admin(p), 'state')).outage.refused as number;

describe('provider outages within the retry policies', () => {
  it('IS MPT down for 6 s (connections closed) after the challenge: one sign-in', { timeout: 120_000 }, async () => {
    const ex = sandbox.manifest.examples;
    const h = await outageDuring('ismpt', 'GET /auth/key', 6, 'reset', () =>
      startFlow(client, mptSignIn, { workflowId: `outage-mpt-${++n}`, input: ex.mptSignIn, taskQueue }),
    );
    const r = await h.result();
    assert.ok(r.token);
    assert.ok((await refused('ismpt')) >= 1, 'the outage was met');
    assert.equal((await sandboxAdmin(admin('ismpt'), 'state')).successfulSignIns, 1);
  });

  it('KISC down for 6 s (503) at the billed call: billed once', { timeout: 120_000 }, async () => {
    const ex = sandbox.manifest.examples;
    const h = await outageDuring('kisc', 'GET /vendors', 6, 'unavailable', () =>
      startFlow(client, kiscVerifyIdentity, { workflowId: `outage-kisc-${++n}`, input: ex.kiscVerifyIdentity, taskQueue }),
    );
    const r = await h.result();
    assert.equal(r.outcome, 'verified');
    assert.ok((await refused('kisc')) >= 1, 'the outage was met');
    const s = await sandboxAdmin(admin('kisc'), 'state');
    assert.deepEqual(s.billedPerKey, { [r.idempotencyKey]: 1 });
  });

  it('Cipher down for 6 s (503) mid-ticket: signed, no ticket left open', { timeout: 120_000 }, async () => {
    const ex = sandbox.manifest.examples;
    const h = await outageDuring('cipher', 'POST /ticket/{uuid}/data', 6, 'unavailable', () =>
      startFlow(client, cipherSign, { workflowId: `outage-cipher-${++n}`, input: ex.cipherSign, taskQueue }),
    );
    await h.result();
    assert.ok((await refused('cipher')) >= 1, 'the outage was met');
    const s = await sandboxAdmin(admin('cipher'), 'state');
    assert.equal(s.openTickets, 0, JSON.stringify(s.openTicketIds));
  });

  it('Kontur down for 6 s (503) after authenticate: one session', { timeout: 120_000 }, async () => {
    const ex = sandbox.manifest.examples;
    const h = await outageDuring('kontur', 'POST /auth/{version}/authenticate-by-cert', 6, 'unavailable', () =>
      startFlow(client, konturSignIn, { workflowId: `outage-kontur-${++n}`, input: ex.konturSignIn!, taskQueue }),
    );
    const r = await h.result();
    assert.ok(r.sid);
    assert.ok((await refused('kontur')) >= 1, 'the outage was met');
    assert.equal((await sandboxAdmin(admin('kontur'), 'state')).activeSessions, 1);
  });
});

describe('an outage longer than the policy', () => {
  it(
    'Cipher down past maxServiceWaitSeconds: ServiceNotRunning, and the ticket is deleted once Cipher is back',
    { timeout: 120_000 },
    async () => {
      const ex = sandbox.manifest.examples;
      const h = await outageDuring('cipher', 'POST /ticket/{uuid}/data', 10, 'unavailable', () =>
        startFlow(client, cipherSign, {
          workflowId: `outage-cipher-long-${++n}`,
          input: { ...ex.cipherSign, maxServiceWaitSeconds: 2 },
          taskQueue,
        }),
      );
      const failure = failureOf(await h.result().catch((e: unknown) => e));
      assert.equal(failure.type, FailureType.ServiceNotRunning);
      const leftover = (await sandboxAdmin(admin('cipher'), 'state')).openTicketIds as string[];
      assert.equal(leftover.length, 1, 'the flow ended while Cipher was still down');
      const cleanup = client.workflow.getHandle(workflowIds.cipherTicketCleanup(leftover[0]!));
      assert.deepEqual(await cleanup.result(), { outcome: 'deleted', tries: (await cleanup.result()).tries });
      assert.ok((await cleanup.result()).tries > 1, 'it waited for Cipher');
      assert.equal((await sandboxAdmin(admin('cipher'), 'state')).openTickets, 0);
    },
  );

  it('IS MPT down past the challenge retries (~31 s): ProviderUnavailable, retry-safe, no token issued', { timeout: 120_000 }, async () => {
    const ex = sandbox.manifest.examples;
    await sandboxAdmin(admin('ismpt'), 'outage', { seconds: 60, mode: 'unavailable' });
    const started = Date.now();
    const err = await startFlow(client, mptSignIn, { workflowId: `outage-mpt-long-${++n}`, input: ex.mptSignIn, taskQueue })
      .then((h) => h.result())
      .catch((e: unknown) => e);
    const failure = failureOf(err);
    assert.equal(failure.type, FailureType.ProviderUnavailable);
    assert.match(failure.message, /IS MPT GET \/auth\/key/);
    assert.ok(Date.now() - started >= 25_000, `gave up after ${Date.now() - started} ms`);
    const s = await sandboxAdmin(admin('ismpt'), 'state');
    assert.equal(s.successfulSignIns, 0);
    assert.equal(s.outage.refused, 6, 'six attempts, as the policy table says');
  });
});
