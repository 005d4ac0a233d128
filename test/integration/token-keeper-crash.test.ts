// The IS MPT token keeper with real worker processes (`npm run worker`) that the test SIGKILLs while
// the keeper's sign-in is exchanging its signed challenge: the stand drops the killed worker's
// request (its client went away), the exchange activity is retried on the new worker after its
// start-to-close timeout, and every caller that was waiting gets the one token of the one sign-in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { getMptToken, tokenKeeperId } from '../../src/client/token-keepers.js';
import { KEEPER_STATUS_QUERY, type KeeperStatus, type MptTokenGrant } from '../../src/flows/keepers/token-keeper.contract.js';
import { workflowIds } from '../../src/contracts/workflow-ids.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { startCrashTestEnv, type CrashTestEnv } from '../helpers/crash-env.js';
import type { WorkerProcess } from '../helpers/worker-process.js';

const taskQueue = 'token-keeper-crash-test';
const CALLERS = 20;
let t: CrashTestEnv;
let client: Client;
let sandbox: Sandbox;
let worker: WorkerProcess;

interface IsmptState {
  calls: Record<string, number>;
  challengesIssued: number;
  successfulSignIns: number;
  rejectedSignIns: Record<string, number>;
  tokenTtlMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ismpt = () => sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'state') as Promise<IsmptState>;

/** Polls `probe` until it returns something other than undefined. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

before(async () => {
  t = await startCrashTestEnv(taskQueue);
  ({ sandbox } = t);
  client = t.env.client;
  worker = await t.startWorker();
});

after(async () => {
  await t?.stop();
});

describe('token keeper across worker crashes', () => {
  it('a worker SIGKILLed during a refresh: one sign-in completes and callers get a token', { timeout: 240_000 }, async (ctx) => {
    const input = sandbox.manifest.examples.mptSignIn;
    const keeperId = tokenKeeperId('ismpt', input);
    assert.equal((await ismpt()).successfulSignIns, 0);

    // The stand holds the first exchange 8 s before processing it; the worker dies in between.
    await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'faults', {
      endpoint: 'POST /auth/simpleSignIn',
      action: 'delay',
      delayMs: 8000,
    });
    const startedAt = Date.now();
    // One Update per caller (no in-process sharing): every caller waits on the keeper itself.
    const calls = Array.from({ length: CALLERS }, () => getMptToken(client, { input, taskQueue, coalesce: false }));
    for (const c of calls) c.catch(() => undefined); // awaited below; no unhandled rejection meanwhile

    const atKill = await until(
      'the exchange to reach the stand',
      async () => {
        const s = await ismpt();
        return s.challengesIssued >= 1 && (s.calls['POST /auth/simpleSignIn'] ?? 0) >= 1 ? s : undefined;
      },
      60_000,
      25,
    );
    await sleep(300); // the request is inside the stand's delay now
    await worker.kill('SIGKILL');
    assert.equal(worker.child.signalCode, 'SIGKILL');
    const killedAt = Date.now();
    assert.equal(atKill.successfulSignIns, 0, 'no token issued before the crash');
    assert.equal((await ismpt()).successfulSignIns, 0, 'no token issued before the crash (after the kill)');
    worker = await t.startWorker();

    // mptExchangeToken's attempt on the killed worker times out (startToClose 15 s) and is retried here.
    const grants: MptTokenGrant[] = await Promise.all(calls);
    const waitedMs = Date.now() - killedAt;
    ctx.diagnostic(`callers waited ${Date.now() - startedAt} ms in all, ${waitedMs} ms after the kill`);
    assert.equal(grants.length, CALLERS);
    const [first] = grants;
    assert.ok(first && first.token.length > 0, 'a token');
    for (const g of grants) assert.deepEqual(g, first, 'every caller gets the same grant');
    assert.ok(Date.parse(first.expiresAt) - Date.now() > 30_000, `not expired: expiresAt ${first.expiresAt}`);
    assert.ok(waitedMs > 10_000, `the retry came after the activity's start-to-close timeout (waited ${waitedMs} ms after the kill)`);

    // Let the killed worker's delayed request end in the stand (8 s after it arrived), then count.
    await sleep(Math.max(0, killedAt + 9_000 - Date.now()));
    const final = await ismpt();
    assert.equal(final.successfulSignIns, 1, `exactly one successful simpleSignIn: ${JSON.stringify(final)}`);
    assert.deepEqual(final.rejectedSignIns, {}, 'the retried exchange was not refused (the dropped request never used the challenge)');
    assert.equal(final.calls['GET /auth/key'], 1, 'the challenge fetched before the crash was reused');
    assert.equal(final.calls['POST /auth/simpleSignIn'], 2, 'the dropped exchange and its retry');

    const status = await client.workflow.getHandle(keeperId).query<KeeperStatus>(KEEPER_STATUS_QUERY);
    assert.equal(status.signIns, 1, JSON.stringify(status));
    assert.equal(status.refreshes, 1);
    assert.equal(status.state, 'valid');
    assert.equal(status.expiresAt, new Date(Date.parse(first.expiresAt)).toISOString());
    assert.equal(status.lastError, null);
    assert.equal(status.requests, CALLERS, 'each caller asked once');

    // The one sign-in child: its exchange was retried (attempt 2) after a start-to-close timeout.
    const signIn = client.workflow.getHandle(workflowIds.tokenKeeperSignIn(keeperId, 1));
    assert.equal((await signIn.describe()).status.name, 'COMPLETED');
    const events = (await signIn.fetchHistory()).events ?? [];
    const exchangeScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'mptExchangeToken');
    assert.ok(exchangeScheduled, 'the exchange was scheduled');
    const exchangeStarted = events.find(
      (e) =>
        e.activityTaskStartedEventAttributes &&
        String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(exchangeScheduled.eventId),
    )?.activityTaskStartedEventAttributes;
    assert.equal(exchangeStarted?.attempt, 2, 'the exchange completed on its second attempt');
    assert.ok(
      exchangeStarted?.lastFailure?.timeoutFailureInfo,
      `the first attempt timed out: ${JSON.stringify(exchangeStarted?.lastFailure)}`,
    );
    await assert.rejects(
      client.workflow.getHandle(workflowIds.tokenKeeperSignIn(keeperId, 2)).describe(),
      WorkflowNotFoundError,
      'no second sign-in',
    );

    // A later caller gets the held token at once.
    const later = await getMptToken(client, { input, taskQueue });
    assert.deepEqual(later, first);
    assert.equal((await ismpt()).successfulSignIns, 1);
  });
});
