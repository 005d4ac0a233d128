// Token keepers on a real dev server with the sandbox's IS MPT and Kontur simulators: one sign-in
// shared by hundreds of callers, refresh before expiry, invalidation without storms, continue-as-new
// under load, idle end, a bounded typed failure during an outage, and no secret in history.
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  getKonturSession,
  getMptToken,
  invalidateKonturSession,
  invalidateMptToken,
  tokenKeeperId,
} from '../../src/client/token-keepers.js';
import type { MptSignInInput } from '../../src/contracts/mpt-sign-in.js';
import { KEEPER_STATUS_QUERY, type KeeperStatus } from '../../src/contracts/token-keeper.js';
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
const ismpt = () => sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'state') as Promise<{ successfulSignIns: number }>;
const statusOf = (id: string) => client.workflow.getHandle(id).query<KeeperStatus>(KEEPER_STATUS_QUERY);

/** A keeper of its own for each test: the same registered key, copied to a new path (another participant id). */
async function participant(): Promise<MptSignInInput> {
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
    const id = tokenKeeperId('mpt', input);
    assert.match(id, /^trustflow-token\/mpt\/[0-9a-f]{32}$/, 'a deterministic id without personal data');
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
    try {
      const input = await participant();
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
      const s = await statusOf(tokenKeeperId('mpt', input));
      assert.equal(s.refreshes, tokens.length);
      assert.equal(s.lastError, null);
    } finally {
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
    const s = await statusOf(tokenKeeperId('mpt', input));
    assert.ok(s.runs >= 2, `runs: ${s.runs}`);
    assert.equal(s.requests, 150, 'every request counted, across runs');
    assert.equal(tokens.size, 1);
    assert.equal((await ismpt()).successfulSignIns - before, 1);
    const history = await client.workflow.getHandle(tokenKeeperId('mpt', input)).fetchHistory();
    assert.ok(history.events!.length < 200, `the current run's history stays bounded: ${history.events!.length}`);
  });

  it('ends when idle, and the next caller starts a new keeper', async () => {
    const input = await participant();
    const keeper = { idleAfter: '2s' };
    const id = tokenKeeperId('mpt', input);
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
    await sandboxAdmin(sandbox.simulators.ismpt.adminBaseUrl, 'faults', {
      endpoint: 'GET /auth/key',
      action: 'status',
      status: 503,
      times: 1000,
    });
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
      const s = await statusOf(tokenKeeperId('mpt', input));
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
