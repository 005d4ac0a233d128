// The one data converter of trustflow: the worker, every client helper, the CLI, the demo and the
// tests take it from here, so they all encrypt and decrypt alike.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { keyringFromEnv, type Keyring } from './keyring.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

export const failureConverterPath = fileURLToPath(new URL('./failure-converter.js', import.meta.url));

export function encryptingDataConverter(keyring: Keyring): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keyring)], failureConverterPath };
}

export class UnencryptedRefusedError extends Error {
  override readonly name = 'UnencryptedRefusedError';
}

/** Loopback addresses: a dev server on this machine, where running without encryption is allowed. */
export function isLocalAddress(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The data converter for a process talking to `address`: encrypting when keys are configured.
 * Without keys it refuses a non-local server unless TRUSTFLOW_ALLOW_UNENCRYPTED=1 says otherwise,
 * because histories on a shared server would then hold tokens and personal data in clear.
 */
export function dataConverterFor(address: string, env: NodeJS.ProcessEnv = process.env): { dataConverter: DataConverter; encrypted: boolean } {
  const keyring = keyringFromEnv(env);
  if (keyring) return { dataConverter: encryptingDataConverter(keyring), encrypted: true };
  if (!isLocalAddress(address) && env.TRUSTFLOW_ALLOW_UNENCRYPTED !== '1') {
    throw new UnencryptedRefusedError(
      `refusing to talk to ${address} without payload encryption: set TRUSTFLOW_CODEC_KEYS (id:base64 of 32 bytes) ` +
        `or TRUSTFLOW_CODEC_KEY_FILE, or set TRUSTFLOW_ALLOW_UNENCRYPTED=1 to store inputs, results and failures in clear`,
    );
  }
  return { dataConverter: {}, encrypted: false };
}
