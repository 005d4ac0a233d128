// Token keepers on a real dev server with the sandbox's IS MPT and Kontur simulators: one sign-in
// shared by hundreds of callers, refresh before expiry, invalidation without storms, continue-as-new
// under load, idle end, a bounded typed failure during an outage, and no secret in history; no
// silent wait (no worker on a queue), the sign-in's own failure type, end/reset, an impossible
// minValidity, and backoff on every path.
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  endTokenKeeper,
  getKonturSession,
  getMptToken,
  invalidateKonturSession,
  invalidateMptToken,
  resetTokenKeeper,
  tokenKeeperId,
} from '../../src/client/token-keepers.js';
import { NoWorkerError } from '../../src/client/worker-check.js';
import type { MptKeyFileSignInInput, MptSignInInput } from '../../src/flows/ismpt/mpt-sign-in.contract.js';
import { KEEPER_STATUS_QUERY, type KeeperStatus, type MptTokenKeeperInput } from '../../src/flows/keepers/token-keeper.contract.js';
import { workflowIds } from '../../src/contracts/workflow-ids.js';
import { mptTokenKeeper } from '../../src/flows/index.js';
import { FailureType, TrustflowError } from '../../src/common/errors.js';
import { searchAttributes } from '../../src/common/search-attributes.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { findSecretsInHistory } from '../helpers/history.js';

const taskQueue = 'token-keepers-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let n = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ismpt = () =>
  sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'state') as Promise<{ successfulSignIns: number; calls: Record<string, number> }>;
/** IS MPT answers 503 to every challenge request until the sandbox is reset. */
const ismptDown = () =>
  sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'faults', { endpoint: 'GET /auth/key', action: 'status', status: 503, times: 1000 });
const statusOf = (id: string) => client.workflow.getHandle(id).query<KeeperStatus>(KEEPER_STATUS_QUERY);

/** A keeper of its own for each test: the same registered key, copied to a new path (another participant id). */
async function participant(): Promise<MptKeyFileSignInInput> {
  const base = sandbox.manifest.examples.mptSignIn;
  const path = join(t.tmp, `participant-${++n}.p12`);
  await copyFile(base.signer.path, path);
  return { ...base, signer: { ...base.signer, path } };
}

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  client = t.client;
  sandbox = t.sandbox;
});

after(async () => {
  await t?.stop();
});

describe('mptTokenKeeper', () => {
  it('200 concurrent getMptToken calls, each its own Update: one token, exactly one sign-in', async () => {
    const input = await participant();
    const before = (await ismpt()).successfulSignIns;
    const grants = await Promise.all(Array.from({ length: 200 }, () => getMptToken(client, { input, taskQueue, coalesce: false })));
    assert.equal(new Set(grants.map((g) => g.token)).size, 1, 'every caller got the same token');
    assert.equal((await ismpt()).successfulSignIns - before, 1, 'exactly one sign-in at the provider');
    const id = tokenKeeperId('ismpt', input);
    assert.match(id, /^trustflow-token\/ismpt\/[0-9a-f]{32}$/, 'a deterministic id without personal data');
    // By default, callers of one process asking at the same moment share one Update.
    const shared = await Promise.all(Array.from({ length: 100 }, () => getMptToken(client, { input, taskQueue })));
    assert.equal(new Set(shared.map((g) => g.token)).size, 1);
    const s = await statusOf(id);
    assert.equal(s.state, 'valid');
    assert.equal(s.signIns, 1);
    assert.ok(s.requests >= 201 && s.requests < 300, `200 Updates, then the 100 shared calls in few: ${s.requests}`);
    const d = await client.workflow.getHandle(id).describe();
    assert.equal(d.typedSearchAttributes.get(searchAttributes.flow), 'mptTokenKeeper');
    assert.equal(d.typedSearchAttributes.get(searchAttributes.provider), 'ismpt');
    assert.equal(d.typedSearchAttributes.get(searchAttributes.step), 'valid');

    const password = (await readFile(input.signer.password.slice('file:'.length), 'utf8')).trim();
    assert.deepEqual(
      await findSecretsInHistory(client, id, [
        { label: 'token', value: grants[0]!.token },
        { label: 'token signature', value: grants[0]!.token.split('.')[2]! },
        { label: 'p12 password', value: password },
      ]),
      [],
    );
  });

  it('refreshes before expiry: callers never get a token about to expire', async () => {
    await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'config', { tokenTtlMs: 9000 });
    const input = await participant();
    try {
      const keeper = { minValidity: '2s', refreshJitter: 0 };
      const seen: { at: number; token: string; expiresAt: number; obtainedAt: number }[] = [];
      const until = Date.now() + 16_000;
      while (Date.now() < until) {
        const g = await getMptToken(client, { input, keeper, taskQueue });
        seen.push({ at: Date.now(), token: g.token, expiresAt: Date.parse(g.expiresAt), obtainedAt: Date.parse(g.obtainedAt) });
        await sleep(250);
      }
      for (const s of seen) assert.ok(s.expiresAt - s.at > 2000, `a token with ${s.expiresAt - s.at} ms left was handed out`);
      const tokens = [...new Map(seen.map((s) => [s.token, s])).values()];
      assert.ok(tokens.length >= 2, `refreshed: ${tokens.length} tokens over 16 s of 9 s tokens`);
      for (let i = 1; i < tokens.length; i++)
        assert.ok(
          tokens[i]!.obtainedAt < tokens[i - 1]!.expiresAt,
          `each new token was obtained before the previous one expired: ${JSON.stringify(tokens.map((x) => [x.obtainedAt, x.expiresAt, x.at]))}`,
        );
      const s = await statusOf(tokenKeeperId('ismpt', input));
      assert.equal(s.refreshes, tokens.length);
      assert.equal(s.lastError, null);
    } finally {
      // Ended: it refreshes at its refresh points by itself, and its sign-ins would count in later tests.
      await endTokenKeeper(client, 'ismpt', input, { reason: 'test done' });
      await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'config', { tokenTtlMs: 10 * 3600_000 });
    }
  });

  it("refreshes at the refresh point by itself after the first caller's sign-in, with no caller asking again", async () => {
    await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'config', { tokenTtlMs: 6000 });
    const input = await participant();
    try {
      const keeper = { minValidity: '1s', refreshJitter: 0 };
      const first = await getMptToken(client, { input, keeper, taskQueue });
      // Refresh point at 2/3 of 6 s: a second sign-in about 4 s later, nobody calling meanwhile.
      const s = await (async () => {
        for (let i = 0; i < 60; i++) {
          const st = await statusOf(tokenKeeperId('ismpt', input));
          if (st.refreshes >= 2) return st;
          await sleep(250);
        }
        return statusOf(tokenKeeperId('ismpt', input));
      })();
      assert.ok(s.refreshes >= 2, `refreshes: ${s.refreshes}`);
      assert.ok(Date.parse(s.obtainedAt!) < Date.parse(first.expiresAt), 'the new token came before the first expired');
      assert.equal(s.requests, 1);
    } finally {
      await endTokenKeeper(client, 'ismpt', input, { reason: 'test done' });
      await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'config', { tokenTtlMs: 10 * 3600_000 });
    }
  });

  it('invalidate: an old token is ignored; the current one, reported 50 times at once, causes exactly one new sign-in', async () => {
    const input = await participant();
    const first = await getMptToken(client, { input, taskQueue });
    const ignored = await invalidateMptToken(client, { input, token: 'not-a-token-we-handed-out' });
    assert.equal(ignored.renewed, false);
    const before = (await ismpt()).successfulSignIns;
    const reports = await Promise.all(Array.from({ length: 50 }, () => invalidateMptToken(client, { input, token: first.token })));
    assert.ok(reports.every((r) => r.renewed === true) || reports.some((r) => r.renewed), JSON.stringify(reports.slice(0, 3)));
    assert.equal((await ismpt()).successfulSignIns - before, 1, 'one sign-in for 50 reports');
    const second = await getMptToken(client, { input, taskQueue });
    assert.notEqual(second.token, first.token);
    const late = await invalidateMptToken(client, { input, token: first.token });
    assert.deepEqual(late, { renewed: false, reason: 'not the current token: it was replaced already' });
    assert.equal((await ismpt()).successfulSignIns - before, 1);
  });

  it('continues as new under load without an error to any caller', async () => {
    const input = await participant();
    const keeper = { historyLimit: 60 };
    const before = (await ismpt()).successfulSignIns;
    const tokens = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next++ < 150) tokens.add((await getMptToken(client, { input, keeper, taskQueue, coalesce: false })).token);
      }),
    );
    const s = await statusOf(tokenKeeperId('ismpt', input));
    assert.ok(s.runs >= 2, `runs: ${s.runs}`);
    assert.equal(s.requests, 150, 'every request counted, across runs');
    assert.equal(tokens.size, 1);
    assert.equal((await ismpt()).successfulSignIns - before, 1);
    const history = await client.workflow.getHandle(tokenKeeperId('ismpt', input)).fetchHistory();
    assert.ok(history.events!.length < 200, `the current run's history stays bounded: ${history.events!.length}`);
  });

  it('ends when idle, and the next caller starts a new keeper', async () => {
    const input = await participant();
    const keeper = { idleAfter: '2s' };
    const id = tokenKeeperId('ismpt', input);
    const first = await getMptToken(client, { input, keeper, taskQueue });
    const handle = client.workflow.getHandle(id);
    for (let i = 0; i < 80 && (await handle.describe()).status.name === 'RUNNING'; i++) await sleep(100);
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    assert.equal(((await handle.result()) as KeeperStatus).state, 'ending');
    const again = await getMptToken(client, { input, keeper, taskQueue });
    assert.notEqual(again.token, first.token, 'a new keeper signs in again');
    assert.equal((await handle.describe()).status.name, 'RUNNING');
  });

  it('an outage without a valid token: a typed failure within the bounded wait, then at once until the retry', async () => {
    const input = await participant();
    const keeper = { signInTimeout: '4s' };
    await ismptDown();
    try {
      const t0 = Date.now();
      await assert.rejects(getMptToken(client, { input, keeper, taskQueue }), (err: unknown) => {
        assert.ok(err instanceof TrustflowError, String(err));
        assert.equal(err.type, FailureType.ProviderUnavailable);
        assert.match(err.message, /sign-in did not finish within signInTimeout|sign-in failed/);
        assert.ok(err.cause instanceof WorkflowUpdateFailedError, 'the Temporal error stays reachable as the cause');
        return true;
      });
      assert.ok(Date.now() - t0 < 15_000, `bounded: ${Date.now() - t0} ms`);
      const t1 = Date.now();
      await assert.rejects(getMptToken(client, { input, keeper, taskQueue }), /next attempt is after/);
      assert.ok(Date.now() - t1 < 3000, 'no new sign-in storm: the failure comes at once until the retry time');
      const s = await statusOf(tokenKeeperId('ismpt', input));
      assert.equal(s.state, 'empty');
      assert.match(s.lastError ?? '', /signInTimeout|sign-in failed/);
    } finally {
      await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'reset');
    }
  });

  it('refuses an invalid input before starting anything, and a caller with another input for the same keeper', async () => {
    await assert.rejects(
      getMptToken(client, { input: { ...sandbox.manifest.examples.mptSignIn, baseUrl: 'ftp://x' }, taskQueue }),
      /invalid mptTokenKeeper input: signIn\.baseUrl/,
    );
    await assert.rejects(
      getMptToken(client, { input: sandbox.manifest.examples.mptSignIn, keeper: { refreshAt: 2 }, taskQueue }),
      /keeper\.refreshAt/,
    );
    const input = await participant();
    await getMptToken(client, { input, taskQueue });
    await assert.rejects(getMptToken(client, { input, keeper: { minValidity: '1m' }, taskQueue }), /runs with another input/);
  });
});

describe('no silent waits: a worker must poll the task queue', () => {
  it(
    "no worker on the caller's queue: getMptToken fails within seconds naming the queue, and no keeper is left behind",
    { timeout: 30_000 },
    async () => {
      const input = await participant();
      const t0 = Date.now();
      await assert.rejects(getMptToken(client, { input, taskQueue: 'nobody-polls-this-queue' }), (err: unknown) => {
        assert.ok(err instanceof NoWorkerError, String(err));
        assert.equal(err.type, FailureType.NoWorker);
        assert.match(err.message, /task queue 'nobody-polls-this-queue' in namespace 'default' at 127\.0\.0\.1:\d+: no worker polls it/);
        assert.match(err.message, /TRUSTFLOW_TASK_QUEUE/);
        return true;
      });
      assert.ok(Date.now() - t0 < 10_000, `within seconds: ${Date.now() - t0} ms`);
      await assert.rejects(
        client.workflow.getHandle(tokenKeeperId('ismpt', input)).describe(),
        WorkflowNotFoundError,
        'no keeper was started',
      );
      const left = [];
      for await (const w of client.workflow.list({ query: `TaskQueue = 'nobody-polls-this-queue'` })) left.push(w.workflowId);
      assert.deepEqual(left, [], 'nothing in the namespace runs on that queue');
    },
  );

  it(
    'a keeper on a queue no worker polls: a caller on the right queue fails within seconds naming that queue; end terminates it',
    { timeout: 60_000 },
    async () => {
      const input = await participant();
      const id = tokenKeeperId('ismpt', input);
      // What an older client with a mistyped TRUSTFLOW_TASK_QUEUE left behind.
      const orphan = await client.workflow.start(mptTokenKeeper, {
        workflowId: id,
        taskQueue: 'mistyped-queue',
        args: [{ signIn: input } as MptTokenKeeperInput],
      });
      const t0 = Date.now();
      await assert.rejects(getMptToken(client, { input, taskQueue }), (err: unknown) => {
        assert.ok(err instanceof NoWorkerError, String(err));
        assert.equal(err.taskQueue, 'mistyped-queue');
        assert.match(err.message, new RegExp(`keeper ${id} runs on task queue 'mistyped-queue'`));
        assert.match(err.message, /trustflow token end ismpt --input FILE/);
        return true;
      });
      assert.ok(Date.now() - t0 < 15_000, `within seconds: ${Date.now() - t0} ms`);

      const ended = await endTokenKeeper(client, 'ismpt', input);
      assert.equal(ended.outcome, 'terminated', JSON.stringify(ended));
      assert.equal(ended.taskQueue, 'mistyped-queue');
      assert.match(ended.reason, /no worker polls it/);
      assert.equal((await orphan.describe()).status.name, 'TERMINATED');
      const grant = await getMptToken(client, { input, taskQueue });
      assert.match(grant.token, /^eyJ/, 'the next caller starts a keeper on a polled queue');
      assert.equal((await client.workflow.getHandle(id).describe()).taskQueue, taskQueue);
    },
  );
});

describe('keepers operable: the sign-in failure reaches callers, end and reset, minValidity, backoff', () => {
  it(
    'a password reference naming an unset variable: SecretUnavailable naming it; reset with the fixed input gives a token at once',
    { timeout: 60_000 },
    async () => {
      const fixed = await participant();
      const broken: MptSignInInput = { ...fixed, signer: { ...fixed.signer, password: 'env:TRUSTFLOW_TEST_UNSET_P12_PASSWORD' } };
      delete process.env.TRUSTFLOW_TEST_UNSET_P12_PASSWORD;
      const keeper = { idleAfter: '1h' };
      await assert.rejects(getMptToken(client, { input: broken, keeper, taskQueue }), (err: unknown) => {
        assert.ok(err instanceof TrustflowError, String(err));
        assert.equal(err.type, FailureType.SecretUnavailable, err.message);
        assert.match(err.message, /env:TRUSTFLOW_TEST_UNSET_P12_PASSWORD/);
        return true;
      });
      // The fixed input meets the keeper of the broken one, which would run for idleAfter (1 h).
      await assert.rejects(
        getMptToken(client, { input: fixed, keeper, taskQueue }),
        /runs with another input.*trustflow token reset ismpt/,
      );

      const t0 = Date.now();
      const { ended, grant } = await resetTokenKeeper(client, 'ismpt', { input: fixed, keeper, taskQueue });
      assert.ok(Date.now() - t0 < 15_000, `without waiting for idleAfter: ${Date.now() - t0} ms`);
      assert.equal(ended.outcome, 'ended', JSON.stringify(ended));
      assert.equal(ended.status?.lastErrorType, FailureType.SecretUnavailable);
      assert.match(grant.token, /^eyJ/);
      assert.deepEqual(await getMptToken(client, { input: fixed, keeper, taskQueue }), grant);
    },
  );

  it('end: the keeper closes, reports what it ended, and a later call starts a new one', async () => {
    const input = await participant();
    const id = tokenKeeperId('ismpt', input);
    const first = await getMptToken(client, { input, taskQueue });
    const { runId } = await client.workflow.getHandle(id).describe();
    const ended = await endTokenKeeper(client, 'ismpt', input, { reason: 'test: rotate' });
    assert.equal(ended.outcome, 'ended');
    assert.equal(ended.runId, runId);
    assert.equal(ended.status?.endReason, 'test: rotate');
    assert.equal(ended.signInCancelled, false);
    assert.equal((await client.workflow.getHandle(id, runId).describe()).status.name, 'COMPLETED');
    assert.deepEqual(await endTokenKeeper(client, 'ismpt', input), {
      workflowId: id,
      outcome: 'none',
      reason: 'its last keeper is completed already',
    });
    const again = await getMptToken(client, { input, taskQueue });
    assert.notEqual(again.token, first.token);
    assert.notEqual((await client.workflow.getHandle(id).describe()).runId, runId, 'a new keeper');
  });

  it('end during a sign-in: the sign-in child is cancelled, its waiting callers get KeeperEnded', { timeout: 60_000 }, async () => {
    const input = await participant();
    const id = tokenKeeperId('ismpt', input);
    await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'faults', {
      endpoint: 'POST /auth/simpleSignIn',
      action: 'delay',
      delayMs: 4000,
    });
    try {
      const waiting = getMptToken(client, { input, taskQueue });
      waiting.catch(() => undefined);
      for (let i = 0; i < 100 && (await statusOf(id).catch(() => undefined))?.state !== 'refreshing'; i++) await sleep(50);
      const ended = await endTokenKeeper(client, 'ismpt', input);
      assert.equal(ended.outcome, 'ended');
      assert.equal(ended.signInCancelled, true);
      assert.equal(ended.waitingCallersFailed, 1);
      await assert.rejects(waiting, (err: unknown) => err instanceof TrustflowError && err.type === FailureType.KeeperEnded);
      const child = await client.workflow.getHandle(workflowIds.tokenKeeperSignIn(id, 1)).describe();
      assert.equal(child.status.name, 'CANCELLED', 'the sign-in child is not left running');
    } finally {
      await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'reset');
    }
  });

  it('minValidity at or above the lifetime the input states: InvalidInput before anything starts', async () => {
    const input = await participant();
    const before = (await ismpt()).successfulSignIns;
    for (let i = 0; i < 10; i++)
      await assert.rejects(
        getMptToken(client, { input: { ...input, defaultTokenTtlSeconds: 3600 }, keeper: { minValidity: '1h' }, taskQueue }),
        (err: unknown) =>
          err instanceof TrustflowError &&
          err.type === FailureType.InvalidInput &&
          /keeper\.minValidity: must be below the token's lifetime/.test(err.message),
      );
    await assert.rejects(
      getMptToken(client, { input, keeper: { minValidity: '30000m' }, taskQueue }),
      /keeper\.minValidity: must be at most 1d/,
    );
    assert.equal((await ismpt()).successfulSignIns, before);
    await assert.rejects(client.workflow.getHandle(tokenKeeperId('ismpt', input)).describe(), WorkflowNotFoundError);
  });

  it(
    'tokens that live no longer than minValidity: 10 calls, InvalidInput naming both, one sign-in (backoff)',
    { timeout: 60_000 },
    async () => {
      await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'config', { tokenTtlMs: 20_000 });
      try {
        const input = await participant();
        const before = (await ismpt()).successfulSignIns;
        for (let i = 0; i < 10; i++)
          await assert.rejects(
            getMptToken(client, { input, keeper: { minValidity: '30s' }, taskQueue, coalesce: false }),
            (err: unknown) => {
              assert.ok(err instanceof TrustflowError, String(err));
              assert.equal(err.type, FailureType.InvalidInput, err.message);
              assert.match(err.message, /keeper\.minValidity \(30000 ms\) is not below the token's lifetime \((1\d{4}|20000) ms\)/);
              return true;
            },
          );
        assert.equal((await ismpt()).successfulSignIns - before, 1, 'one sign-in for 10 calls');
        const s = await statusOf(tokenKeeperId('ismpt', input));
        assert.equal(s.failures, 1);
        assert.equal(s.lastErrorType, FailureType.InvalidInput);
        assert.ok(s.nextRetryAt && Date.parse(s.nextRetryAt) > Date.now(), 'the next attempt waits for the backoff');
      } finally {
        await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'reset');
      }
    },
  );

  it('invalidate during a backoff does not sign in again', { timeout: 60_000 }, async () => {
    const input = await participant();
    const keeper = { signInTimeout: '3s' };
    const { token } = await getMptToken(client, { input, keeper, taskQueue });
    await ismptDown();
    try {
      await assert.rejects(invalidateMptToken(client, { input, token }), /sign-in did not finish within signInTimeout|sign-in failed/);
      const challenges = (await ismpt()).calls['GET /auth/key'] ?? 0;
      const t0 = Date.now();
      await assert.rejects(invalidateMptToken(client, { input, token }), /next attempt is after/);
      await assert.rejects(getMptToken(client, { input, keeper, taskQueue }), /next attempt is after/);
      assert.ok(Date.now() - t0 < 2500, `at once: ${Date.now() - t0} ms`);
      await sleep(500);
      assert.equal((await ismpt()).calls['GET /auth/key'] ?? 0, challenges, 'no sign-in started during the backoff');
    } finally {
      await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'reset');
    }
  });
});

describe('konturSessionKeeper', () => {
  it('50 callers during a refresh: one refresh call, the old pair never reused, the new sid works', async () => {
    const input = sandbox.manifest.examples.konturSignIn;
    const kontur = sandbox.simulators.kontur;
    assert.ok(input && kontur, 'the Kontur sandbox needs gost-engine: apt-get install libengine-gost-openssl');
    const state = () =>
      sandboxAdmin(kontur.adminBaseUrl, 'state') as Promise<{
        successfulApprovals: number;
        refreshes: number;
        rejected: Record<string, number>;
      }>;
    const first = await getKonturSession(client, { input, taskQueue });
    const s0 = await state();
    await sandboxAdmin(kontur.adminBaseUrl, 'faults', {
      endpoint: 'POST /sessions/{version}/sessions/refresh',
      action: 'delay',
      delayMs: 1500,
    });
    const [report, ...grants] = await Promise.all([
      invalidateKonturSession(client, { input, sid: first.sid }),
      ...Array.from({ length: 50 }, async () => {
        await sleep(200); // arrive while the refresh is under way
        return getKonturSession(client, { input, taskQueue });
      }),
    ]);
    assert.equal((report as { renewed: boolean }).renewed, true);
    const sids = new Set(grants.map((g) => (g as { sid: string }).sid));
    assert.equal(sids.size, 1);
    assert.ok(!sids.has(first.sid));
    const s1 = await state();
    assert.equal(s1.refreshes - s0.refreshes, 1, 'one refresh call');
    assert.equal(s1.successfulApprovals, s0.successfulApprovals, 'no full sign-in: the refresh sufficed');
    assert.deepEqual(s1.rejected, s0.rejected, 'the old pair was never sent again');
    const current = (sid: string) =>
      fetch(`${kontur.baseUrl}/auth/v5.9/sessions/current`, { headers: { authorization: `auth.sid ${sid}` } });
    assert.equal((await current([...sids][0]!)).status, 200);
    assert.equal((await current(first.sid)).status, 401);
    const status = await statusOf(tokenKeeperId('kontur', input));
    assert.deepEqual([status.signIns, status.refreshes], [1, 2]);
    assert.deepEqual(
      await findSecretsInHistory(client, tokenKeeperId('kontur', input), [
        { label: 'sid', value: first.sid },
        { label: 'new sid', value: [...sids][0]! },
      ]),
      [],
    );
  });
});
