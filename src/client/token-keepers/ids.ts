// Which keeper: its deterministic workflow id, from the provider, the stand and the participant.
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../common/errors.js';
import { workflowIds } from '../../contracts/workflow-ids.js';

export type KeeperProvider = 'ismpt' | 'kontur';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The keeper's workflow id: `trustflow-token/<ismpt|kontur>/<32 hex>`, the SHA-256 of the stand's base
 * URL and the participant's key file. Deterministic (every caller of one participant meets the same
 * keeper) and free of personal data (no name, IIN, password or token).
 */
export function tokenKeeperId(
  provider: 'ismpt' | 'kontur',
  input: { baseUrl: string; signer?: { path: string }; key?: { path: string } },
): string {
  const participant = input.signer?.path ?? input.key?.path ?? '';
  return workflowIds.tokenKeeper(provider, sha256(JSON.stringify([provider, input.baseUrl.replace(/\/+$/, ''), participant])).slice(0, 32));
}

/** The participant of a sign-in input: enough to find its keeper, whatever else the input says. */
export function keeperIdOf(provider: KeeperProvider, input: unknown): string {
  const i = input as { baseUrl?: unknown; signer?: { path?: unknown }; key?: { path?: unknown } } | null;
  const path = provider === 'ismpt' ? i?.signer?.path : i?.key?.path;
  if (typeof i?.baseUrl !== 'string' || typeof path !== 'string')
    throw new InvalidInputError(
      `the ${provider === 'ismpt' ? 'mptSignIn' : 'konturSignIn'} input must name baseUrl and ${provider === 'ismpt' ? 'signer.path' : 'key.path'}: they say which keeper`,
    );
  return tokenKeeperId(provider, { baseUrl: i.baseUrl, ...(provider === 'ismpt' ? { signer: { path } } : { key: { path } }) });
}
