// kiscVerifyIdentity: verify a face against the state record for an IIN (billed once), then fetch
// the consented personal data.
//   validate input → check TLS identity, vendor, photo, announced planned works (wait them out, or
//   fail with ProviderMaintenance) → [key created here] POST /verify (billed;
//   retries ask GET /verify first) → similarity ≥ minSimilarity ? POST /data : not_matched
// The idempotency key comes from the workflow's deterministic uuid4(): created once, recorded in
// history (and the KiscIdempotencyKey search attribute) before the first POST, the same on replay.
import { ApplicationFailure, sleep, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import { FailureType } from '../common/errors.js';
import { maintenanceAt } from '../contracts/kisc-maintenance.js';
import {
  type KiscVerifyIdentityInput,
  type KiscVerifyIdentityResult,
  kiscVerifyIdentityContract,
} from '../contracts/kisc-verify-identity.js';
import { searchAttributes } from '../common/search-attributes.js';
import { runFlow } from './flow-status.js';
import { activities } from './activities.js';

const { kiscCheckRequest, kiscMaintenanceWindows, kiscVerify, kiscFetchPersonalData } = activities;

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

    // Planned works announced in KISC's news: the billed call never starts inside one.
    let windows = checked.maintenance ?? [];
    for (let w = maintenanceAt(windows, new Date()); w; w = maintenanceAt(windows, new Date())) {
      if (input.onMaintenance === 'fail') {
        throw ApplicationFailure.create({
          type: FailureType.ProviderMaintenance,
          message: `KISC announced planned works from ${w.start} to ${w.end} (${w.subject}); nothing was billed: verify again after ${w.end}`,
          nonRetryable: true,
        });
      }
      tracker.note(`waiting for KISC's announced planned works to end at ${w.end}`);
      await sleep(Date.parse(w.end) - Date.now());
      windows = await kiscMaintenanceWindows(endpoint);
    }
    tracker.note(undefined);

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
