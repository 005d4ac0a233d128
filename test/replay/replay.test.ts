// Replays committed histories against today's workflow code: a change that would break running
// flows (a different sequence of commands) fails here, before it reaches a worker.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { workflowTypesOf } from '../../src/flows/registry.js';
import { MptTokenKeeperInputSchema } from '../../src/flows/keepers/token-keeper.contract.js';
import { repoRoot } from '../helpers/paths.js';
import { testWorkflowBundle } from '../helpers/temporal.js';

const dir = join(repoRoot, 'test', 'replay', 'histories');
// Replayed under the workflow id they ran with (keepers name their children after it); named by file.
const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const json = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const name = f.replace(/\.json$/, '');
    const recordedId: string | undefined = json.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId;
    return { name, workflowId: recordedId || name, history: historyFromJSON(json) };
  });
const nameOf = (workflowId: string) => histories.find((h) => h.workflowId === workflowId)?.name ?? workflowId;

describe('replay of committed histories', () => {
  it('has histories for every workflow type', () => {
    // Every flow and entity workflow of the registry. The short scheduled, command and child types
    // (credentialsCheck, credentialsPreflight, credentialsTestAlert, kiscReconcileDaily,
    // cipherTicketCleanup) have no recorded history of their own yet.
    for (const type of [...workflowTypesOf('flow'), ...workflowTypesOf('entity')])
      assert.ok(
        histories.some((h) => h.name.startsWith(`${type}-`)),
        `${type} histories`,
      );
    assert.ok(histories.length >= 18);
  });

  it('replays every history without a determinism error', async () => {
    const results = Worker.runReplayHistories({ workflowBundle: await testWorkflowBundle() }, histories);
    let n = 0;
    for await (const r of results) {
      n++;
      assert.equal(r.error, undefined, `${nameOf(r.workflowId)}: ${r.error?.message}`);
    }
    assert.equal(n, histories.length);
  });

  it('replays flows started before inputs became strict: an unknown key and plain http to another host, as they ran then', async () => {
    // A history recorded before the strict-input rules, with an input the old schemas accepted and
    // today's refuse (an unknown key, a remote http stand). Without the legacy path the replay would
    // fail the flow at validation (different commands: a nondeterminism error) instead of replaying it.
    const json = JSON.parse(readFileSync(join(dir, 'mptSignIn-happy.json'), 'utf8'));
    const payload = json.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
    const old = {
      ...input,
      baseUrl: 'http://stand.example.kz/api/v3/true-api',
      colour: 'blue',
      signer: { ...input.signer, label: 'old key' },
    };
    payload.data = Buffer.from(JSON.stringify(old)).toString('base64');
    await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, historyFromJSON(json), 'mptSignIn-legacy-input');
  });

  it('replays keepers started before the lifetime rules: an input today refused, as they ran then', async () => {
    // minValidity (30 s, the default) at or above the lifetime the input states (defaultTokenTtlSeconds
    // 20): refused at validation today. A keeper started before the rule replays under the old rules
    // (no trustflow-keeper-lifetime-and-backoff marker) instead of failing with a nondeterminism error.
    const json = JSON.parse(readFileSync(join(dir, 'mptTokenKeeper-idle-end.json'), 'utf8'));
    const start = json.events[0].workflowExecutionStartedEventAttributes;
    const payload = start.input.payloads[0];
    const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
    const old = { ...input, signIn: { ...input.signIn, defaultTokenTtlSeconds: 20 } };
    assert.equal(MptTokenKeeperInputSchema.safeParse(old).success, false, "today's rules refuse this input");
    payload.data = Buffer.from(JSON.stringify(old)).toString('base64');
    await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, historyFromJSON(json), start.workflowId);
  });

  it('fails on a workflow whose command sequence changed', async () => {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/changed-workflows.js', import.meta.url)),
      logger: new DefaultLogger('WARN'),
    });
    const happy = histories.find((h) => h.name === 'mptSignIn-happy')!;
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle }, happy.history, happy.workflowId),
      /[Nn]ondetermin|DeterminismViolation/,
    );
  });
});
