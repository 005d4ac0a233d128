// The signing server's Temporal backend (src/signing-page/temporal-backend.ts) on a real dev server,
// against stand-in flows that answer the page↔flow contract (test/helpers/person-signer-stub.workflow.ts):
// the view, accepted and refused submissions (the reason from details[0]), a repeated submission
// joining the first, closed and foreign workflows, no worker and no server (bounded, unavailable),
// and the CMS encrypted in the history.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { SigningLink } from '../../src/common/signing-link.js';
import { SigningBackendUnavailableError } from '../../src/signing-page/server.js';
import { submissionId, temporalSigningBackend } from '../../src/signing-page/temporal-backend.js';
import { ApplicationFailure } from '@temporalio/common';
import { PERSON_SIGNATURE_REFUSED } from '../../src/flows/person-signing/person-signing.contract.js';
import { checksQuery, type StubActivities } from '../helpers/person-signer-stub.workflow.js';
import { startTestServer, testDataConverter } from '../helpers/temporal.js';

const taskQueue = 'signing-backend-test';
const workflowsPath = fileURLToPath(new URL('../helpers/person-signer-stub.workflow.js', import.meta.url));
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let n = 0;

const link = (workflowId: string, requestId = 'req-1'): SigningLink => ({
  workflowId,
  requestId,
  expiresAt: new Date(Date.now() + 3_600_000),
});

async function startStub(o: { requestId?: string; checkMs?: number; queue?: string; type?: string } = {}): Promise<WorkflowHandle> {
  return env.client.workflow.start(o.type ?? 'personSignerStub', {
    taskQueue: o.queue ?? taskQueue,
    workflowId: `person-signer-stub-${++n}`,
    args: o.type ? [] : [{ requestId: o.requestId ?? 'req-1', ...(o.checkMs ? { checkMs: o.checkMs } : {}) }],
  });
}

before(async () => {
  env = await startTestServer();
  const activities: StubActivities = {
    async stubCheckSignature() {
      throw ApplicationFailure.create({
        type: PERSON_SIGNATURE_REFUSED,
        message: 'the certificate does not chain to the NCA roots',
        details: [{ reason: 'untrusted-chain' }],
        nonRetryable: true,
      });
    },
  };
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities,
    dataConverter: testDataConverter,
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('temporal signing backend', () => {
  it("views the waiting flow's request through its personSigning query", async () => {
    const h = await startStub({ requestId: 'req-view' });
    const view = await temporalSigningBackend(env.client).view(link(h.workflowId, 'req-view'));
    assert.ok(view !== 'not-found' && view !== 'completed');
    assert.equal(view.requestId, 'req-view');
    assert.equal(view.state, 'waiting');
    assert.equal(view.challenge?.id, 'ch-2');
  });

  it("'not-found' for no such workflow and a workflow that is not a person signer; 'completed' for one that closed signed", async () => {
    const backend = temporalSigningBackend(env.client);
    assert.equal(await backend.view(link('no-such-workflow')), 'not-found');
    const other = await startStub({ type: 'notASigner' });
    assert.equal(await backend.view(link(other.workflowId)), 'not-found');
    const done = await startStub();
    assert.ok(!('refused' in (await backend.submit(link(done.workflowId), { requestId: 'req-1', challengeId: 'ch-2', cms: 'good' }))));
    await done.result();
    assert.equal(await backend.view(link(done.workflowId)), 'completed');
  });

  it('submits the CMS as the Update: accepted, with the signer', async () => {
    const h = await startStub();
    const outcome = await temporalSigningBackend(env.client).submit(link(h.workflowId), {
      requestId: 'req-1',
      challengeId: 'ch-2',
      cms: 'good-cms',
    });
    assert.deepEqual(outcome, {
      accepted: true,
      signer: { serialNumber: '01ab', notAfter: '2027-01-01T00:00:00Z', iinLast4: '0415', bin: null },
    });
    assert.equal(await h.result(), 'signed');
  });

  it('a refusal comes back as { refused: { reason: details[0].reason, message } }, and the flow keeps waiting', async () => {
    const h = await startStub();
    const backend = temporalSigningBackend(env.client);
    assert.deepEqual(await backend.submit(link(h.workflowId), { requestId: 'req-1', challengeId: 'ch-1', cms: 'good' }), {
      refused: { reason: 'challenge-replaced', message: 'the challenge was replaced: sign the new one' },
    });
    assert.deepEqual(await backend.submit(link(h.workflowId), { requestId: 'req-1', challengeId: 'ch-2', cms: 'bad-1' }), {
      refused: { reason: 'bad-signature', message: 'the signature does not verify' },
    });
    const view = await backend.view(link(h.workflowId));
    assert.ok(view !== 'not-found' && view !== 'completed' && view.state === 'waiting');
  });

  it('the same submission sent again joins the first Update: checked once', async () => {
    const h = await startStub();
    const backend = temporalSigningBackend(env.client);
    const req = { requestId: 'req-1', challengeId: 'ch-2', cms: 'bad-again' };
    const first = await backend.submit(link(h.workflowId), req);
    const second = await backend.submit(link(h.workflowId), req);
    assert.deepEqual(second, first);
    assert.equal(await h.query(checksQuery), 1);
    assert.notEqual(submissionId(req), submissionId({ ...req, cms: 'bad-again2' }));
    assert.notEqual(submissionId(req), submissionId({ ...req, challengeId: 'ch-3' }));
  });

  it('the CMS is encrypted in the history', async () => {
    const h = await startStub();
    const cms = 'good-MARKER-of-a-cms-with-IIN-870412300415';
    await temporalSigningBackend(env.client).submit(link(h.workflowId), { requestId: 'req-1', challengeId: 'ch-2', cms });
    const history = JSON.stringify(await h.fetchHistory());
    assert.match(history, /workflowExecutionUpdateAccepted/);
    assert.ok(!history.includes('MARKER') && !history.includes('870412300415'), 'no CMS in clear');
    assert.ok(!history.includes(Buffer.from(cms).toString('base64').slice(0, 24)), 'no CMS in base64');
  });

  it("refused 'not-waiting' when the flow closed before the Update", async () => {
    const h = await startStub();
    await h.terminate('test');
    assert.deepEqual(
      await temporalSigningBackend(env.client).submit(link(h.workflowId), { requestId: 'req-1', challengeId: 'ch-2', cms: 'good' }),
      {
        refused: { reason: 'not-waiting', message: 'the signing request is over' },
      },
    );
  });

  it('a refusal raised in the checking activity and passed on as its failure is a refusal too', async () => {
    const h = await startStub({ type: 'refusingThroughActivity' });
    assert.deepEqual(
      await temporalSigningBackend(env.client).submit(link(h.workflowId), { requestId: 'req-1', challengeId: 'ch-2', cms: 'x' }),
      {
        refused: { reason: 'untrusted-chain', message: 'the certificate does not chain to the NCA roots' },
      },
    );
    await h.terminate('test');
  });

  it('a refusal without a reason is an error, not an invented reason', async () => {
    const h = await startStub({ type: 'reasonlessRefuser' });
    await assert.rejects(
      temporalSigningBackend(env.client).submit(link(h.workflowId), { requestId: 'r', challengeId: 'c', cms: 'x' }),
      /without details\[0\]\.reason/,
    );
  });

  it('unavailable within its bound when no worker runs the flow (query and Update)', async () => {
    const h = await startStub({ queue: 'nobody-polls-this' });
    const backend = temporalSigningBackend(env.client, { queryMs: 1500, submitMs: 1500 });
    let started = Date.now();
    await assert.rejects(
      backend.view(link(h.workflowId)),
      (err: unknown) => err instanceof SigningBackendUnavailableError && err.why === 'query-timeout',
    );
    assert.ok(Date.now() - started < 5000, `view took ${Date.now() - started} ms`);
    started = Date.now();
    await assert.rejects(
      backend.submit(link(h.workflowId), { requestId: 'req-1', challengeId: 'ch-2', cms: 'good' }),
      (err: unknown) => err instanceof SigningBackendUnavailableError && err.why === 'update-timeout',
    );
    assert.ok(Date.now() - started < 5000, `submit took ${Date.now() - started} ms`);
    await h.terminate('test');
  });

  it('unavailable when the Temporal server does not answer', async () => {
    // Without the SDK's gRPC retry, so the call fails at once: its retries ignore cancellation, and
    // closing a connection while one waits to retry throws "Channel has been shut down" uncaught.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500, interceptors: [] });
    const client = new Client({ connection, dataConverter: testDataConverter });
    const unreachable = (err: unknown) => err instanceof SigningBackendUnavailableError && err.why === 'temporal-unreachable';
    try {
      const backend = temporalSigningBackend(client, { queryMs: 4000, submitMs: 4000 });
      await assert.rejects(backend.view(link('x')), unreachable);
      await assert.rejects(backend.submit(link('x'), { requestId: 'r', challengeId: 'c', cms: 'x' }), unreachable);
    } finally {
      await connection.close();
    }
  });
});
