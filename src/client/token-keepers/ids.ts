// Which keeper: its deterministic workflow id, from the provider, the stand and the participant.
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../common/errors.js';
import { workflowIds } from '../../contracts/workflow-ids.js';

export type KeeperProvider = 'ismpt' | 'kontur';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A key file, or a person named by the caller's own key for them (signer.notify.recipient). */
export type KeeperSigner = { path: string } | { kind: 'person'; notify?: { recipient: string } | undefined };

/**
 * Who signs: the key file's path, or for a person `person:<recipient>`. Never the IIN or BIN: a hash of
 * one is no secret (there are only so many IINs), and keeper ids are shown in the Web UI.
 */
function participantOf(signer: KeeperSigner | undefined): string {
  if (!signer) return '';
  if ('path' in signer) return signer.path;
  return `person:${signer.notify?.recipient ?? ''}`;
}

/**
 * The keeper's workflow id: `trustflow-token/<ismpt|kontur>/<32 hex>`, the SHA-256 of the stand's base
 * URL and the participant (key file, or the person's IIN/BIN). Deterministic (every caller of one
 * participant meets the same keeper) and free of personal data (no name, IIN, password or token).
 */
export function tokenKeeperId(
  provider: 'ismpt' | 'kontur',
  input: { baseUrl: string; signer?: KeeperSigner; key?: { path: string } },
): string {
  const participant = participantOf(input.signer ?? input.key);
  return workflowIds.tokenKeeper(provider, sha256(JSON.stringify([provider, input.baseUrl.replace(/\/+$/, ''), participant])).slice(0, 32));
}

/** The participant of a sign-in input: enough to find its keeper, whatever else the input says. */
export function keeperIdOf(provider: KeeperProvider, input: unknown): string {
  const i = input as {
    baseUrl?: unknown;
    signer?: { path?: unknown; kind?: unknown; notify?: { recipient?: unknown } };
    key?: { path?: unknown };
  } | null;
  if (provider === 'ismpt' && i?.signer?.kind === 'person' && typeof i.baseUrl === 'string') {
    const recipient = i.signer.notify?.recipient;
    if (typeof recipient !== 'string' || !recipient.trim())
      throw new InvalidInputError(
        'a keeper whose signer is a person is named by signer.notify.recipient (your own key for the person, e.g. seller-1042): set it',
      );
    return tokenKeeperId(provider, { baseUrl: i.baseUrl, signer: { kind: 'person', notify: { recipient } } });
  }
  const path = provider === 'ismpt' ? i?.signer?.path : i?.key?.path;
  if (typeof i?.baseUrl !== 'string' || typeof path !== 'string')
    throw new InvalidInputError(
      `the ${provider === 'ismpt' ? 'mptSignIn' : 'konturSignIn'} input must name baseUrl and ${provider === 'ismpt' ? 'signer.path (or, for a person, signer.notify.recipient)' : 'key.path'}: they say which keeper`,
    );
  return tokenKeeperId(provider, { baseUrl: i.baseUrl, ...(provider === 'ismpt' ? { signer: { path } } : { key: { path } }) });
}
