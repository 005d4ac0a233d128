// The one error boundary: the worker's activity interceptor maps whatever an activity throws.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { activityErrorBoundary } from '../../src/worker/activity-error-boundary.js';
import { KeyringError } from '../../src/codec/keyring.js';
import { CodecKeyMissingError } from '../../src/codec/payload-codec.js';
import { FailureType, ProviderHttpError, TrustflowError } from '../../src/common/errors.js';
import { CmsDecryptError } from '../../src/crypto/cms/decrypt.js';
import { JwsVerificationError } from '../../src/crypto/jws.js';
import { OpensslError } from '../../src/crypto/openssl.js';

async function through(err: unknown): Promise<ApplicationFailure> {
  const { inbound } = activityErrorBoundary({} as never);
  const failure = await inbound!.execute!({} as ActivityExecuteInput, async () => Promise.reject(err)).then(
    () => assert.fail('should have thrown'),
    (e: unknown) => e,
  );
  assert.ok(failure instanceof ApplicationFailure, `got ${String(failure)}`);
  return failure;
}

describe('the activity error boundary', () => {
  it("keeps a trustflow error's type, retryability and Retry-After", async () => {
    const f = await through(new ProviderHttpError({ provider: 'P', endpoint: 'GET /x', status: 429, retryable: true, retryAfterMs: 3000 }));
    assert.deepEqual([f.type, f.nonRetryable, f.nextRetryDelay], [FailureType.ProviderUnavailable, false, 3000]);
  });

  it('gives crypto and codec errors their own failure types', async () => {
    const cases: [TrustflowError, string, boolean][] = [
      [new OpensslError(['cms'], 4, 'Error decrypting CMS structure\n'), FailureType.CryptoFailed, true],
      [new CmsDecryptError('the key does not belong to the certificate', 'key-mismatch'), FailureType.DecryptionFailed, true],
      [new CmsDecryptError('wrong password', 'bad-password'), FailureType.KeyStoreUnreadable, true],
      [new JwsVerificationError('signature does not verify'), FailureType.SignatureInvalid, true],
      [new KeyringError('TRUSTFLOW_CODEC_KEYS: no keys'), FailureType.CodecMisconfigured, true],
      [new CodecKeyMissingError('k2026a'), FailureType.CodecKeyMissing, true],
    ];
    for (const [err, type, nonRetryable] of cases) {
      assert.ok(err instanceof TrustflowError, err.name);
      const f = await through(err);
      assert.deepEqual([f.type, f.nonRetryable], [type, nonRetryable], err.name);
      assert.equal(f.message, err.message);
    }
  });

  it('forwards only the class of an unexpected error, never its message (it may quote its input)', async () => {
    const f = await through(new TypeError('cannot parse Qwerty12'));
    assert.equal(f.type, 'InternalError');
    assert.equal(f.nonRetryable, false);
    assert.ok(!f.message.includes('Qwerty12'));
  });

  it('lets cancellation through, so the SDK reports the activity as cancelled, not failed', async () => {
    const { inbound } = activityErrorBoundary({} as never);
    const cancelled = new CancelledFailure('CANCELLED');
    const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    for (const err of [cancelled, abort]) {
      const thrown = await inbound!.execute!({} as ActivityExecuteInput, async () => Promise.reject(err)).catch((e: unknown) => e);
      assert.equal(thrown, err);
    }
  });

  it('passes an ApplicationFailure an activity threw on purpose unchanged', async () => {
    const own = ApplicationFailure.create({ type: 'Mine', message: 'as thrown', nonRetryable: true });
    assert.equal(await through(own), own);
  });
});
