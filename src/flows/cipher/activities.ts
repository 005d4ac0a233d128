// Cipher activities: one per ticket step. Thin: read the data/container from their references,
// resolve the password, call the client. The container's full certificate info (tax number,
// passport) stays here: only the summary goes back to the workflow.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { CipherInspectKeyStoreResult } from './cipher-inspect-key-store.contract.js';
import type { KeyStoreRef } from '../../contracts/cipher-endpoint.js';
import { MAX_INLINE_SIGNATURE_BYTES } from './cipher-sign.contract.js';
import { FailureType, InvalidInputError, ProviderHttpError, ProviderNetworkError, TrustflowError } from '../../common/errors.js';
import { httpTimeout } from '../http-timeout.activities.js';
import { CipherClient, summarizeKeyUsage } from '../../providers/cipher/index.js';
import { type CipherOptionsSchema } from '../../contracts/cipher-options.js';
import { readBlob } from '../../secrets/blob.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';
import type { z } from 'zod';

export interface CipherActivityDeps {
  resolveSecret?: SecretResolver;
  now?: () => Date;
}

export interface Ticket {
  baseUrl: string;
  ticket: string;
}

/** The dependencies the activities that need them are given, defaults filled in. */
interface CipherDeps {
  resolveSecret: SecretResolver;
  now: () => Date;
}

/** Key containers are small (a few KiB); anything bigger is not one. */
const MAX_KEY_STORE_BYTES = 1024 * 1024;

const ctx = () => Context.current();
const client = (baseUrl: string) => new CipherClient({ baseUrl, timeoutMs: httpTimeout() });

/** Every Cipher activity, by the name workflows call it. */
export function createCipherActivities(deps: CipherActivityDeps = {}) {
  const d: CipherDeps = { resolveSecret: deps.resolveSecret ?? defaultResolveSecret, now: deps.now ?? (() => new Date()) };
  function withDeps<I, R>(activity: (d: CipherDeps, input: I) => R): (input: I) => R {
    return (input) => activity(d, input);
  }
  return {
    cipherCreateTicket,
    cipherDeleteTicket,
    cipherUploadData,
    cipherSetOptions,
    cipherUploadKeyStore,
    cipherCheckKeyStore: withDeps(cipherCheckKeyStore),
    cipherStartSigning: withDeps(cipherStartSigning),
    cipherAwaitSignature,
  };
}

export type CipherActivities = ReturnType<typeof createCipherActivities>;

async function cipherCreateTicket(input: { baseUrl: string }): Promise<string> {
  const ticket = await client(input.baseUrl).createTicket(ctx().cancellationSignal);
  ctx().log.info('Cipher ticket created', { ticket });
  return ticket;
}

/** Idempotent: a ticket the service no longer knows (400) counts as deleted. */
async function cipherDeleteTicket(input: Ticket): Promise<void> {
  try {
    await client(input.baseUrl).deleteTicket(input.ticket, ctx().cancellationSignal);
    ctx().log.info('Cipher ticket deleted', { ticket: input.ticket });
  } catch (err) {
    if (err instanceof ProviderHttpError && err.type === FailureType.SessionMissing) return;
    throw err;
  }
}

async function cipherUploadData(input: Ticket & { data: string; maxDataBytes: number }): Promise<{ bytes: number }> {
  const data = await readBlob(input.data, input.maxDataBytes, 'data to sign');
  await client(input.baseUrl).uploadData(input.ticket, data, ctx().cancellationSignal);
  return { bytes: data.length };
}

async function cipherSetOptions(input: Ticket & { options: z.output<typeof CipherOptionsSchema> }): Promise<void> {
  await client(input.baseUrl).setOptions(input.ticket, input.options, ctx().cancellationSignal);
}

async function cipherUploadKeyStore(input: Ticket & { keyStore: KeyStoreRef }): Promise<void> {
  const keyStore =
    'file' in input.keyStore
      ? { bytes: await readBlob(input.keyStore.file, MAX_KEY_STORE_BYTES, 'key container') }
      : { path: input.keyStore.path };
  await client(input.baseUrl).uploadKeyStore(input.ticket, keyStore, ctx().cancellationSignal);
}

/** The verifier: checks the password and reports both keys (summaries only). */
async function cipherCheckKeyStore(d: CipherDeps, input: Ticket & { password: string }): Promise<CipherInspectKeyStoreResult> {
  const password = await d.resolveSecret(input.password);
  const v = await client(input.baseUrl).verifyKeyStore(input.ticket, password, ctx().cancellationSignal);
  const at = d.now();
  const signature = summarizeKeyUsage(v.signature, at);
  const keyAgreement = summarizeKeyUsage(v.keyAgreement, at);
  const warnings = [signature, keyAgreement].filter((k) => k.state === 'present' && k.message).map((k) => k.message!);
  ctx().log.info('Cipher key container checked', {
    signature: signature.state,
    keyAgreement: keyAgreement.state,
    notAfter: signature.certificate?.notAfter ?? null,
    warnings: warnings.length,
  });
  return { signature, keyAgreement, warnings };
}

/**
 * POST ds/creator: never sent twice on one ticket. When its outcome is unknown (no answer), the
 * workflow polls the status instead of re-sending; a 503 means it was not processed at all.
 */
async function cipherStartSigning(d: CipherDeps, input: Ticket & { password: string }): Promise<{ started: 'yes' | 'unknown' }> {
  const password = await d.resolveSecret(input.password);
  try {
    await client(input.baseUrl).startSigning(input.ticket, password, ctx().cancellationSignal);
    return { started: 'yes' };
  } catch (err) {
    if (err instanceof ProviderNetworkError && !err.requestSurelyNotSent) return { started: 'unknown' };
    if (err instanceof ProviderNetworkError)
      throw new TrustflowError(`${err.message}: the Cipher agent is not running`, FailureType.ServiceNotRunning, false);
    throw err;
  }
}

/** Polls until the signature is ready (202 → wait), bounded; then fetches it. Heartbeats while waiting. */
async function cipherAwaitSignature(
  input: Ticket & { maxSigningSeconds: number; pollIntervalMs?: number; output?: { file: string } | undefined },
): Promise<{ signatureBase64?: string; outputFile?: string; signatureBytes: number }> {
  const cipher = client(input.baseUrl);
  const deadline = Date.now() + input.maxSigningSeconds * 1000;
  for (let polls = 1; ; polls++) {
    ctx().heartbeat({ polls });
    if ((await cipher.signingStatus(input.ticket, ctx().cancellationSignal)) === 'done') break;
    if (Date.now() >= deadline) {
      throw new TrustflowError(
        `Cipher did not finish the signature within ${input.maxSigningSeconds} s (${polls} status checks); raise maxSigningSeconds if the service is slow`,
        FailureType.OperationTimedOut,
        false,
      );
    }
    await ctx().sleep(input.pollIntervalMs ?? 1000); // throws when the activity is cancelled
  }
  const signature = await cipher.signature(input.ticket, ctx().cancellationSignal);
  if (input.output) {
    await writeAtomically(input.output.file, signature);
    return { outputFile: input.output.file, signatureBytes: signature.length };
  }
  if (signature.length > MAX_INLINE_SIGNATURE_BYTES) {
    throw new InvalidInputError(
      `the signature is ${signature.length} bytes, more than a result may carry (${MAX_INLINE_SIGNATURE_BYTES}); name an output file`,
    );
  }
  return { signatureBase64: signature.toString('base64'), signatureBytes: signature.length };
}

/** Writes through a temporary file in the same folder, so a reader never sees half a signature. */
async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.part`);
  try {
    await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidInputError(
      `output file ${path} cannot be written (${code ?? 'error'}): check that its folder exists and the worker may write there`,
    );
  }
}
