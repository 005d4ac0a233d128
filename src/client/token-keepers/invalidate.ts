// A token the provider refused (401), reported to its keeper by its SHA-256: only the keeper's
// current token makes it sign in again, once, however many callers report it.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { KonturSignInInput } from '../../flows/kontur/kontur-sign-in.contract.js';
import type { MptSignInInput } from '../../flows/ismpt/mpt-sign-in.contract.js';
import { INVALIDATE_UPDATE, type InvalidateResult } from '../../flows/keepers/token-keeper.contract.js';
import { assertEncryptingClient } from '../flows.js';
import { sha256, tokenKeeperId, type KeeperProvider } from './ids.js';
import { explained, whileKeeperRuns } from './keeper-calls.js';

async function invalidate(client: Client, provider: KeeperProvider, workflowId: string, token: string): Promise<InvalidateResult> {
  assertEncryptingClient(client);
  try {
    return await whileKeeperRuns(client, provider, workflowId, () =>
      client.workflow.getHandle(workflowId).executeUpdate<InvalidateResult, [string]>(INVALIDATE_UPDATE, { args: [sha256(token)] }),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { renewed: false, reason: 'no keeper holds a token for this participant' };
    throw explained(err, `admit an invalidate Update on keeper ${workflowId}`);
  }
}

/** Reports an IS MPT token the provider refused (401): the keeper signs in again if it is still the current one. */
export function invalidateMptToken(client: Client, o: { input: MptSignInInput; token: string }): Promise<InvalidateResult> {
  return invalidate(client, 'ismpt', tokenKeeperId('ismpt', o.input), o.token);
}

/** Reports a Kontur sid the provider refused (401). */
export function invalidateKonturSession(client: Client, o: { input: KonturSignInInput; sid: string }): Promise<InvalidateResult> {
  return invalidate(client, 'kontur', tokenKeeperId('kontur', o.input), o.sid);
}
