// `credentials scan`: every applied credential checked now, and which of the result's credentials
// are in the states `scan --fail-on` names.
import type { Client } from '@temporalio/client';
import { temporalSettingsFromEnv } from '../../common/env.js';
import { InvalidInputError } from '../../common/errors.js';
import type { CredentialsCheckResult } from '../../flows/credentials/credentials-check.contract.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { credentialsCheck } from '../../flows/index.js';
import { assertEncryptingClient } from '../flows.js';
import { assertWorkerPolling } from '../worker-check.js';
import { scheduleArgs } from './schedules.js';
import { CredentialNotAppliedError } from './watches.js';

/**
 * Checks every applied credential now and waits: the same workflow the schedule runs, started
 * directly (the schedule's own runs are not disturbed).
 */
export async function scanCredentials(client: Client, o: { taskQueue?: string } = {}): Promise<CredentialsCheckResult> {
  assertEncryptingClient(client);
  const args = await scheduleArgs(client);
  if (!args) throw new CredentialNotAppliedError('no credentials are applied here: run trustflow credentials apply FILE first');
  const taskQueue = o.taskQueue ?? temporalSettingsFromEnv().taskQueue;
  await assertWorkerPolling(client, taskQueue);
  return client.workflow.execute(credentialsCheck, {
    taskQueue,
    workflowId: workflowIds.credentialsScan(new Date()),
    args: [args],
  });
}

/** What `trustflow credentials scan --fail-on` can name: a state, or `undelivered` (alerts the sink has not taken). */
export const FAIL_ON_STATES = ['expired', 'expiring', 'unreadable', 'undelivered', 'not-yet-valid'] as const;
export type FailOnState = (typeof FAIL_ON_STATES)[number];

/**
 * `--fail-on expired,expiring`: the states named (comma-separated, repeatable), checked. Throws an
 * InvalidInputError naming the unknown word and the valid ones.
 */
export function parseFailOn(values: string | readonly string[]): FailOnState[] {
  const words = [values]
    .flat()
    .flatMap((v) => v.split(','))
    .map((w) => w.trim())
    .filter(Boolean);
  const unknown = words.filter((w) => !(FAIL_ON_STATES as readonly string[]).includes(w));
  if (unknown.length > 0 || words.length === 0)
    throw new InvalidInputError(
      `--fail-on ${unknown.length ? `'${unknown.join("', '")}' is not a state it knows` : 'needs at least one state'}: use ${FAIL_ON_STATES.join(', ')} (comma-separated)`,
    );
  return [...new Set(words as FailOnState[])];
}

/**
 * The credentials of a scan that are in any of `states`, each with the ones it is in (scan order).
 * Pure: `credentials scan --fail-on` exits non-zero when this is not empty. A state is the watch's
 * own (`expired`, `expiring`, `unreadable`, `not-yet-valid`); `undelivered` is any credential with
 * alerts the sink has not taken.
 */
export function credentialsInStates(
  result: Pick<CredentialsCheckResult, 'checked'>,
  states: readonly FailOnState[],
): { id: string; states: FailOnState[] }[] {
  const wanted = new Set(states);
  return result.checked.flatMap((c) => {
    const hit: FailOnState[] = [];
    if (wanted.has(c.state as FailOnState)) hit.push(c.state as FailOnState);
    if (wanted.has('undelivered') && c.undelivered > 0) hit.push('undelivered');
    return hit.length ? [{ id: c.id, states: hit }] : [];
  });
}
