// Token keepers on a server that admits few Updates in flight per workflow (here 2; a plain
// `temporal server start-dev` admits 10): each refusal also aborts the Updates the server had
// admitted, so callers that kept retrying it made each other fail for minutes. Now a refused call
// fails at once with what to raise (history.maxInFlightUpdates) and how, and nobody waits long.
// The load version of this (several processes, the default limit) is bench/keeper-callers.ts.
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connection.js';
import { ServerRefusedError } from '../../src/client/server-errors.js';
import { getMptToken } from '../../src/client/token-keepers.js';
import { FailureType } from '../../src/common/errors.js';
import type { MptSignInInput } from '../../src/contracts/mpt-sign-in.js';
import { startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { TEST_CODEC_KEYS } from '../helpers/temporal.js';

const taskQueue = 'keeper-update-limit-test';
let t: FlowTestEnv;
const callers: Client[] = [];

before(async () => {
  t = await startFlowTestEnv(taskQueue, { dynamicConfig: { 'history.maxInFlightUpdates': 2 } });
  process.env.TRUSTFLOW_CODEC_KEYS = TEST_CODEC_KEYS;
  // Three "processes": clients of their own, built as services build theirs.
  for (let i = 0; i < 3; i++) callers.push(await connectClient({ address: t.env.address, namespace: 'default' }));
});

after(async () => {
  for (const c of callers) await c.connection.close();
  await t?.stop();
});

describe('non-coalesced keeper callers over the in-flight Update limit', () => {
  it('fail at once naming history.maxInFlightUpdates and how to raise it, or get the token; none waits', { timeout: 60_000 }, async () => {
    const base = t.sandbox.manifest.examples.mptSignIn;
    const path = join(t.tmp, 'limit-participant.p12');
    await copyFile(base.signer.path, path);
    const input: MptSignInInput = { ...base, signer: { ...base.signer, path } };
    const { token } = await getMptToken(callers[0]!, { input, taskQueue }); // the keeper holds a token

    const outcomes: { ok: boolean; ms: number; err?: unknown }[] = [];
    const until = Date.now() + 4000;
    await Promise.all(
      callers.flatMap((client) =>
        Array.from({ length: 10 }, async () => {
          while (Date.now() < until) {
            const t0 = Date.now();
            try {
              assert.equal((await getMptToken(client, { input, taskQueue, coalesce: false })).token, token);
              outcomes.push({ ok: true, ms: Date.now() - t0 });
            } catch (err) {
              outcomes.push({ ok: false, ms: Date.now() - t0, err });
            }
          }
        }),
      ),
    );
    const failed = outcomes.filter((o) => !o.ok);
    assert.ok(
      outcomes.some((o) => o.ok),
      'some calls got the token',
    );
    assert.ok(failed.length > 0, 'the limit was reached (30 callers, 2 admitted)');
    for (const f of failed) {
      assert.ok(f.err instanceof ServerRefusedError, String(f.err));
      assert.equal(f.err.type, FailureType.ServerRefused);
      assert.match(f.err.message, /in-flight updates has been reached \(2\)/);
      assert.match(f.err.message, /history\.maxInFlightUpdates/);
      assert.match(f.err.message, /--dynamic-config-value history\.maxInFlightUpdates=1000/);
    }
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    assert.ok(slowest < 20_000, `no call waited long: the slowest took ${slowest} ms`);
  });
});
