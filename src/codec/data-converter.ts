// The one data converter of trustflow: the worker, every client helper, the CLI, the demo and the
// tests take it from here, so they all encrypt and decrypt alike.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { FailureType, TrustflowError } from '../common/errors.js';
import { isLoopbackHost } from '../common/transport.js';
import { keyringFromEnv, type Keyring } from './keyring.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

export const failureConverterPath = fileURLToPath(new URL('./failure-converter.js', import.meta.url));

export function encryptingDataConverter(keyring: Keyring): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keyring)], failureConverterPath };
}

export class UnencryptedRefusedError extends TrustflowError {
  override readonly name = 'UnencryptedRefusedError';
  constructor(message: string) {
    super(message, FailureType.CodecMisconfigured, false);
  }
}

/** Loopback addresses: a dev server on this machine, where running without encryption is allowed. */
export function isLocalAddress(address: string): boolean {
  return isLoopbackHost(address.replace(/:\d+$/, ''));
}

/**
 * The data converter for a process talking to `address`: encrypting when keys are configured.
 * Without keys only a server on loopback is accepted (a dev server: reading, running a worker); a
 * shared server would hold tokens and personal data in clear, so it is refused without a way round.
 * Starting flows without keys needs TRUSTFLOW_ALLOW_UNENCRYPTED=1 on top (client/flows.ts).
 */
export function dataConverterFor(
  address: string,
  env: NodeJS.ProcessEnv = process.env,
): { dataConverter: DataConverter; encrypted: boolean } {
  const keyring = keyringFromEnv(env);
  if (keyring) return { dataConverter: encryptingDataConverter(keyring), encrypted: true };
  if (!isLocalAddress(address)) {
    throw new UnencryptedRefusedError(
      `refusing to talk to ${address} without payload encryption: set TRUSTFLOW_CODEC_KEYS (id:base64 of 32 bytes) ` +
        'or TRUSTFLOW_CODEC_KEY_FILE to the keyring every worker and client shares (TRUSTFLOW_ALLOW_UNENCRYPTED applies to a loopback server only)',
    );
  }
  return { dataConverter: {}, encrypted: false };
}
