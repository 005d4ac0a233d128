// kiscVerifyIdentity: verify a face against the state record for an IIN (billed once), then fetch
// the consented personal data.
//   validate input → check TLS identity, vendor, photo, announced planned works (wait them out,
//   re-reading the news, at most maxMaintenanceWait; or fail with ProviderMaintenance) →
//   [key created here] POST /verify (billed; retries ask GET /verify first) →
//   similarity ≥ minSimilarity ? POST /data : not_matched
// The idempotency key comes from the workflow's deterministic uuid4(): created once, recorded in
// history (and the KiscIdempotencyKey search attribute) before the first POST, the same on replay.
import { ApplicationFailure, patched, sleep, upsertSearchAttributes, uuid4 } from '@temporalio/workflow';
import { FailureType } from '../../common/errors.js';
import { formatDuration } from '../../contracts/fields.js';
import type { KiscEndpoint } from '../../contracts/kisc-endpoint.js';
import { maintenanceAt, type MaintenanceWindow } from '../../contracts/kisc-maintenance.js';
import {
  type KiscVerifyIdentityInput,
  type KiscVerifyIdentityParsedInput,
  type KiscVerifyIdentityResult,
  kiscVerifyIdentityContract,
} from './kisc-verify-identity.contract.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { type FlowTracker, runFlow } from '../runtime/flow-status.js';
import { activities } from '../activity-proxies.js';

const { kiscCheckRequest, kiscMaintenanceWindows, kiscVerify, kiscFetchPersonalData } = activities;

/** Marks runs whose maintenance wait is bounded and re-reads the news; runs that waited before wait as they did. */
export const BOUNDED_MAINTENANCE_WAIT_PATCH = 'kisc-bounded-maintenance-wait';

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
    const works = maintenanceAt(checked.maintenance ?? [], new Date());
    if (works) {
      if (input.onMaintenance === 'fail') {
        throw ApplicationFailure.create({
          type: FailureType.ProviderMaintenance,
          message: `KISC announced planned works from ${works.start} to ${works.end} (${works.subject}); nothing was billed: verify again after ${works.end}`,
          nonRetryable: true,
        });
      }
      if (patched(BOUNDED_MAINTENANCE_WAIT_PATCH)) await waitOutMaintenance(works, input, endpoint, tracker);
      else await waitOutMaintenanceUnbounded(works, endpoint, tracker);
      tracker.note(undefined);
    }

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

/**
 * Waits until no announced works cover the present, at most input.maxMaintenanceWait from now: the
 * news are read again every maintenanceRecheckEvery and at each announced end, so a cancelled notice
 * ends the wait and a moved one is followed. Works announced to end past the bound fail the flow
 * at once (nothing billed yet): a notice years ahead is more likely mistyped than real.
 */
async function waitOutMaintenance(
  first: MaintenanceWindow,
  input: KiscVerifyIdentityParsedInput,
  endpoint: KiscEndpoint,
  tracker: Pick<FlowTracker<string>, 'note'>,
): Promise<void> {
  const since = Date.now();
  const deadline = new Date(since + input.maxMaintenanceWait).toISOString();
  const bound = `maxMaintenanceWait: '${formatDuration(input.maxMaintenanceWait)}'`;
  const every = formatDuration(input.maintenanceRecheckEvery);
  let w: MaintenanceWindow | undefined = first;
  while (w) {
    if (Date.parse(w.end) > Date.parse(deadline)) {
      throw ApplicationFailure.create({
        type: FailureType.ProviderMaintenance,
        message:
          `KISC announced planned works from ${w.start} to ${w.end} (${w.subject}): that end is beyond this flow's maintenance wait bound ` +
          `(${bound}, counted from ${new Date(since).toISOString()}: until ${deadline}), so the flow does not wait; nothing was billed. ` +
          `The notice may be mistyped (a wrong year or month): check KISC's news. To wait that long, raise maxMaintenanceWait in the input ` +
          `(a duration such as '3d'); or verify again after ${w.end}`,
        nonRetryable: true,
      });
    }
    tracker.note(
      `waiting for KISC's announced planned works to end at ${w.end} (${w.subject}); reading KISC's news again every ${every}; waiting until ${deadline} at most (${bound})`,
    );
    await sleep(Math.min(Date.parse(w.end) - Date.now(), input.maintenanceRecheckEvery));
    // A failed read keeps the works waited for: only news read say they are over.
    w = maintenanceAt(await kiscMaintenanceWindows({ ...endpoint, assumeIfUnread: [w] }), new Date());
  }
}

/** The wait of runs started before BOUNDED_MAINTENANCE_WAIT_PATCH: until each announced end, news read only then. */
async function waitOutMaintenanceUnbounded(
  first: MaintenanceWindow,
  endpoint: KiscEndpoint,
  tracker: Pick<FlowTracker<string>, 'note'>,
): Promise<void> {
  let w: MaintenanceWindow | undefined = first;
  while (w) {
    tracker.note(`waiting for KISC's announced planned works to end at ${w.end}`);
    await sleep(Date.parse(w.end) - Date.now());
    w = maintenanceAt(await kiscMaintenanceWindows(endpoint), new Date());
  }
}
