// Token keepers on a server that admits few Updates in flight per workflow (here 2; a plain
// `temporal server start-dev` admits 10). Over the limit the server refuses the Update and also
// aborts the ones it had admitted, so callers that kept retrying it fed each other's refusals for
// minutes (non-coalesced callers of several processes failed after 155 s). Now a refused caller asks
// again for a few seconds, then fails with what to raise (history.maxInFlightUpdates) and how.
// The load version (several processes, the default limit, both servers) is bench/keeper-callers.ts.
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connection.js';
import { ServerRefusedError } from '../../src/client/server-errors.js';
import { getMptToken } from '../../src/client/token-keepers.js';
import { FailureType } from '../../src/common/errors.js';
import type { MptSignInInput } from '../../src/flows/ismpt/mpt-sign-in.contract.js';
import { sandboxAdmin } from '../../src/sandbox/index.js';
import { startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { TEST_CODEC_KEYS } from '../helpers/temporal.js';

const taskQueue = 'keeper-update-limit-test';
let t: FlowTestEnv;
const callers: Client[] = [];

before(async () => {
  t = await startFlowTestEnv(taskQueue, { server: { dynamicConfig: { 'history.maxInFlightUpdates': 2 } } });
  process.env.TRUSTFLOW_CODEC_KEYS = TEST_CODEC_KEYS;
  // Three "processes": clients of their own, built as services build theirs.
  for (let i = 0; i < 3; i++) callers.push(await connectClient({ address: t.env.address, namespace: 'default' }));
});

after(async () => {
  for (const c of callers) await c.connection.close();
  await t?.stop();
});

describe('non-coalesced keeper callers over the in-flight Update limit', () => {
  it(
    'while a slow sign-in holds the 2 places: the others are told to raise history.maxInFlightUpdates, and how',
    { timeout: 90_000 },
    async () => {
      const base = t.sandbox.manifest.examples.mptSignIn;
      const path = join(t.tmp, 'limit-participant.p12');
      await copyFile(base.signer.path, path);
      const input: MptSignInInput = { ...base, signer: { ...base.signer, path } };
      // The stand holds the sign-in's exchange for 25 s: the first callers' Updates stay in flight.
      await sandboxAdmin(t.sandbox.simulators.ismpt.adminBaseUrl, 'faults', {
        endpoint: 'POST /auth/simpleSignIn',
        action: 'delay',
        delayMs: 25_000,
      });
      const t0 = Date.now();
      const outcomes = await Promise.all(
        callers.flatMap((client) =>
          Array.from({ length: 2 }, () =>
            getMptToken(client, { input, taskQueue, coalesce: false }).then(
              (g) => ({ ok: true as const, token: g.token, ms: Date.now() - t0 }),
              (err: unknown) => ({ ok: false as const, err, ms: Date.now() - t0 }),
            ),
          ),
        ),
      );
      const failed = outcomes.filter((o) => !o.ok);
      assert.ok(failed.length > 0, `6 callers, 2 places: someone was refused (${JSON.stringify(outcomes.map((o) => [o.ok, o.ms]))})`);
      for (const f of failed) {
        assert.ok(f.err instanceof ServerRefusedError, String(f.err));
        assert.equal(f.err.type, FailureType.ServerRefused);
        assert.match(f.err.message, /in-flight updates has been reached \(2\)/);
        assert.match(f.err.message, /history\.maxInFlightUpdates/);
        assert.match(f.err.message, /--dynamic-config-value history\.maxInFlightUpdates=1000/);
      }
      for (const o of outcomes) if (o.ok) assert.match(o.token, /^eyJ/);
    },
  );
});
