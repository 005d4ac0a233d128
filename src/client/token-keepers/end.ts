// Ending a participant's keeper now (its `end` Update, or terminated when no worker runs it), and
// replacing it with one running a new input (reset: end, then get).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { InvalidInputError } from '../../common/errors.js';
import { temporalSettingsFromEnv } from '../../common/env.js';
import { clientWaits } from '../../common/policies.js';
import type { KonturSignInInput } from '../../flows/kontur/kontur-sign-in.contract.js';
import type { MptSignInInput } from '../../flows/ismpt/mpt-sign-in.contract.js';
import {
  END_KEEPER_UPDATE,
  KonturSessionKeeperInputSchema,
  MptTokenKeeperInputSchema,
  type EndKeeperRequest,
  type EndKeeperResult,
  type KeeperStatus,
  type KonturSessionGrant,
  type MptTokenGrant,
} from '../../flows/keepers/token-keeper.contract.js';
import { assertEncryptingClient } from '../flows.js';
import { checkRunningWorkflow } from '../running-workflow.js';
import { assertWorkerPolling, NoWorkerError } from '../worker-check.js';
import { getKonturSession, getMptToken, keeperInput, type KeeperCallOptions } from './get.js';
import { keeperIdOf, type KeeperProvider } from './ids.js';
import { explained, whileKeeperRuns } from './keeper-calls.js';

/** What endTokenKeeper did. No secret: the keeper's status, never its token. */
export interface EndTokenKeeperResult {
  workflowId: string;
  /**
   * `ended`: the keeper closed through its `end` Update (new callers refused, a sign-in under way
   * cancelled, its waiting callers told KeeperEnded). `terminated`: no worker polls the keeper's task
   * queue (or its worker has no `end`), so it was terminated, its sign-in child with it. `none`: no
   * keeper was running for this participant.
   */
  outcome: 'ended' | 'terminated' | 'none';
  runId?: string;
  taskQueue?: string;
  /** Why (the reason given, and for `terminated`/`none` what was found). */
  reason: string;
  /** For `ended`: the keeper's status as it ended. */
  status?: KeeperStatus;
  signInCancelled?: boolean;
  waitingCallersFailed?: number;
}

/**
 * Ends the keeper of the participant `input` names (the sign-in input; the rest of it may differ
 * from the keeper's: that is what a reset is for), without waiting for it to idle. Through its
 * `end` Update when a worker runs it; terminated (with its sign-in child) when no worker polls its
 * task queue, since then nothing would ever handle the Update.
 */
export async function endTokenKeeper(
  client: Client,
  provider: KeeperProvider,
  input: MptSignInInput | KonturSignInInput,
  o: { reason?: string } = {},
): Promise<EndTokenKeeperResult> {
  assertEncryptingClient(client);
  const workflowId = keeperIdOf(provider, input);
  const reason = o.reason ?? 'ended by endTokenKeeper (trustflow token end)';
  if (reason.length > 200) throw new InvalidInputError('the reason is at most 200 characters');
  const keeper = await checkRunningWorkflow(client, workflowId);
  if (!keeper.running) {
    const d = keeper.description;
    return { workflowId, outcome: 'none', reason: d ? `its last keeper is ${d.status.name.toLowerCase()} already` : 'no keeper ever ran' };
  }
  const { handle, description: d } = keeper;
  const base = { workflowId, runId: d.runId, taskQueue: d.taskQueue };
  const terminate = async (why: string): Promise<EndTokenKeeperResult> => {
    await handle.terminate(`${reason}; ${why}`);
    return { ...base, outcome: 'terminated', reason: `${reason}; ${why}` };
  };
  if (keeper.workerProblem !== undefined) return terminate(`terminated: on its task queue '${d.taskQueue}' ${keeper.workerProblem}`);
  let r: EndKeeperResult;
  try {
    r = await whileKeeperRuns(client, provider, workflowId, () =>
      handle.executeUpdate<EndKeeperResult, [EndKeeperRequest]>(END_KEEPER_UPDATE, { args: [{ reason }] }),
    );
  } catch (err) {
    if (err instanceof NoWorkerError) return terminate(`terminated: ${err.message}`);
    if (err instanceof WorkflowNotFoundError || /already completed/i.test(String((err as Error).message)))
      return { ...base, outcome: 'none', reason: 'the keeper closed meanwhile' };
    if (err instanceof WorkflowUpdateFailedError && /no registered handler for update/i.test(String((err.cause as Error)?.message)))
      return terminate('terminated: its worker runs a trustflow without the end Update');
    throw explained(err, `end keeper ${workflowId}`);
  }
  // The keeper closes right after `end` answered.
  for (const until = Date.now() + clientWaits.keeperCloseMs; Date.now() < until; await new Promise((res) => setTimeout(res, 100)))
    if ((await handle.describe()).status.name !== 'RUNNING') break;
  return {
    ...base,
    outcome: 'ended',
    reason,
    status: r.status,
    signInCancelled: r.signInCancelled,
    waitingCallersFailed: r.waitingCallersFailed,
  };
}

export interface ResetTokenKeeperResult<G> {
  ended: EndTokenKeeperResult;
  /** The first grant of the new keeper, with the new input. */
  grant: G;
}

/**
 * Replaces the participant's keeper with one running `o.input` (e.g. after fixing a password
 * reference): the new input is checked first (nothing is ended for an input that would fail
 * validation, or for a queue no worker polls), then the keeper is ended and a token asked for.
 */
export async function resetTokenKeeper(
  client: Client,
  provider: 'ismpt',
  o: KeeperCallOptions<MptSignInInput> & { reason?: string },
): Promise<ResetTokenKeeperResult<MptTokenGrant>>;
export async function resetTokenKeeper(
  client: Client,
  provider: 'kontur',
  o: KeeperCallOptions<KonturSignInInput> & { reason?: string },
): Promise<ResetTokenKeeperResult<KonturSessionGrant>>;
export async function resetTokenKeeper(
  client: Client,
  provider: KeeperProvider,
  o: KeeperCallOptions<MptSignInInput | KonturSignInInput> & { reason?: string },
): Promise<ResetTokenKeeperResult<MptTokenGrant | KonturSessionGrant>> {
  keeperInput(
    provider === 'ismpt' ? MptTokenKeeperInputSchema : KonturSessionKeeperInputSchema,
    o,
    provider === 'ismpt' ? 'mptTokenKeeper' : 'konturSessionKeeper',
  );
  await assertWorkerPolling(client, o.taskQueue ?? temporalSettingsFromEnv().taskQueue);
  const ended = await endTokenKeeper(client, provider, o.input, {
    reason: o.reason ?? 'reset by resetTokenKeeper (trustflow token reset)',
  });
  const call = { ...o, coalesce: false };
  const grant =
    provider === 'ismpt'
      ? await getMptToken(client, call as KeeperCallOptions<MptSignInInput>)
      : await getKonturSession(client, call as KeeperCallOptions<KonturSignInInput>);
  return { ended, grant };
}
