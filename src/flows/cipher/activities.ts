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

/** Key containers are small (a few KiB); anything bigger is not one. */
const MAX_KEY_STORE_BYTES = 1024 * 1024;

export function createCipherActivities(deps: CipherActivityDeps = {}) {
  const resolveSecret = deps.resolveSecret ?? defaultResolveSecret;
  const now = deps.now ?? (() => new Date());
  const ctx = () => Context.current();
  const client = (baseUrl: string) => new CipherClient({ baseUrl, timeoutMs: httpTimeout() });

  return {
    cipherCreateTicket: async (input: { baseUrl: string }): Promise<string> => {
      const ticket = await client(input.baseUrl).createTicket(ctx().cancellationSignal);
      ctx().log.info('Cipher ticket created', { ticket });
      return ticket;
    },

    /** Idempotent: a ticket the service no longer knows (400) counts as deleted. */
    cipherDeleteTicket: async (input: Ticket): Promise<void> => {
      try {
        await client(input.baseUrl).deleteTicket(input.ticket, ctx().cancellationSignal);
        ctx().log.info('Cipher ticket deleted', { ticket: input.ticket });
      } catch (err) {
        if (err instanceof ProviderHttpError && err.type === FailureType.SessionMissing) return;
        throw err;
      }
    },

    cipherUploadData: async (input: Ticket & { data: string; maxDataBytes: number }): Promise<{ bytes: number }> => {
      const data = await readBlob(input.data, input.maxDataBytes, 'data to sign');
      await client(input.baseUrl).uploadData(input.ticket, data, ctx().cancellationSignal);
      return { bytes: data.length };
    },

    cipherSetOptions: async (input: Ticket & { options: z.output<typeof CipherOptionsSchema> }): Promise<void> => {
      await client(input.baseUrl).setOptions(input.ticket, input.options, ctx().cancellationSignal);
    },

    cipherUploadKeyStore: async (input: Ticket & { keyStore: KeyStoreRef }): Promise<void> => {
      const keyStore =
        'file' in input.keyStore
          ? { bytes: await readBlob(input.keyStore.file, MAX_KEY_STORE_BYTES, 'key container') }
          : { path: input.keyStore.path };
      await client(input.baseUrl).uploadKeyStore(input.ticket, keyStore, ctx().cancellationSignal);
    },

    /** The verifier: checks the password and reports both keys (summaries only). */
    cipherCheckKeyStore: async (input: Ticket & { password: string }): Promise<CipherInspectKeyStoreResult> => {
      const password = await resolveSecret(input.password);
      const v = await client(input.baseUrl).verifyKeyStore(input.ticket, password, ctx().cancellationSignal);
      const at = now();
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
    },

    /**
     * POST ds/creator: never sent twice on one ticket. When its outcome is unknown (no answer), the
     * workflow polls the status instead of re-sending; a 503 means it was not processed at all.
     */
    cipherStartSigning: async (input: Ticket & { password: string }): Promise<{ started: 'yes' | 'unknown' }> => {
      const password = await resolveSecret(input.password);
      try {
        await client(input.baseUrl).startSigning(input.ticket, password, ctx().cancellationSignal);
        return { started: 'yes' };
      } catch (err) {
        if (err instanceof ProviderNetworkError && !err.requestSurelyNotSent) return { started: 'unknown' };
        if (err instanceof ProviderNetworkError)
          throw new TrustflowError(`${err.message}: the Cipher agent is not running`, FailureType.ServiceNotRunning, false);
        throw err;
      }
    },

    /** Polls until the signature is ready (202 → wait), bounded; then fetches it. Heartbeats while waiting. */
    cipherAwaitSignature: async (
      input: Ticket & { maxSigningSeconds: number; pollIntervalMs?: number; output?: { file: string } | undefined },
    ): Promise<{ signatureBase64?: string; outputFile?: string; signatureBytes: number }> => {
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
    },
  };
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

export type CipherActivities = ReturnType<typeof createCipherActivities>;
