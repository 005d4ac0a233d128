// kiscVerifyIdentity: verify a face against the state record for an IIN (billed once), then fetch
// the consented personal data.
//   validate input → check TLS identity, vendor, photo → [key created here] POST /verify (billed;
//   retries ask GET /verify first) → similarity ≥ minSimilarity ? POST /data : not_matched
// The idempotency key comes from the workflow's deterministic uuid4(): created once, recorded in
// history (and the KiscIdempotencyKey search attribute) before the first POST, the same on replay.
import { upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import {
  type KiscVerifyIdentityInput,
  type KiscVerifyIdentityResult,
  kiscVerifyIdentityContract,
} from '../contracts/kisc-verify-identity.js';
import { searchAttributes } from '../common/search-attributes.js';
import { runFlow } from './flow-status.js';
import { activities } from './activities.js';

const { kiscCheckRequest, kiscVerify, kiscFetchPersonalData } = activities;

export async function kiscVerifyIdentity(rawInput: KiscVerifyIdentityInput): Promise<KiscVerifyIdentityResult> {
  return runFlow(kiscVerifyIdentityContract, rawInput, async (input, tracker) => {
    const endpoint = { baseUrl: input.baseUrl, tls: input.tls };
    // Every prerequisite of the billed call, the personal-data signing key included, is checked first.
    const checked = await kiscCheckRequest({
      ...endpoint,
      vendor: input.vendor,
      photo: input.photo,
      maxPhotoBytes: input.maxPhotoBytes,
      ...(input.fetchPersonalData ? { signingKey: input.signingKey } : {}),
    });

    tracker.step('verifying');
    const idempotencyKey = uuid4();
    upsertSearchAttributes([{ key: searchAttributes.kiscIdempotencyKey, value: idempotencyKey }]);
    const verification = await kiscVerify({
      ...endpoint,
      iin: input.iin,
      vendor: input.vendor,
      photo: input.photo,
      maxPhotoBytes: input.maxPhotoBytes,
      photoSha256: checked.photoSha256,
      idempotencyKey,
    });
    const verifiedAt = new Date();
    upsertSearchAttributes([{ key: searchAttributes.kiscBilledAt, value: verifiedAt }]);
    const result: KiscVerifyIdentityResult = {
      outcome: verification.similarity >= input.minSimilarity ? 'verified' : 'not_matched',
      similarity: verification.similarity,
      minSimilarity: input.minSimilarity,
      vendor: verification.vendor,
      idempotencyKey,
      verifiedAt: verifiedAt.toISOString(),
    };
    if (result.outcome === 'not_matched') {
      tracker.succeeded('not_matched', 'not_matched');
      return result;
    }

    if (input.fetchPersonalData) {
      tracker.step('fetching_personal_data');
      const { personalData, missingFields } = await kiscFetchPersonalData({
        ...endpoint,
        signingKey: input.signingKey!,
        idempotencyKey,
        consentText: input.consentText!,
        consentBodyFormat: input.consentBodyFormat,
        fields: input.personalDataFields!,
        mcdb: input.mcdb,
      });
      result.personalData = personalData;
      if (missingFields.length) result.missingFields = missingFields;
    }
    tracker.succeeded('done');
    return result;
  });
}
