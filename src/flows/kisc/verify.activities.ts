// The activities of kiscVerifyIdentity: the checks before the billed call, the billed call itself
// (POST /verify, recovered by its key on retries), and the personal data tied to it (POST /data).
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { KiscEndpoint } from '../../contracts/kisc-endpoint.js';
import type { MaintenanceWindow } from '../../contracts/kisc-maintenance.js';
import { KISC_VERIFY_IDENTITY, type KiscJwsKeySpec } from './kisc-verify-identity.contract.js';
import { FailureType, InvalidInputError, TrustflowError } from '../../common/errors.js';
import type { ImageContentType } from '../../common/image-type.js';
import { metrics } from '../../common/metrics.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { signDetachedJws } from '../../crypto/jws.js';
import { announcedMaintenance, kiscClient, openJwsKey, readPhoto, vendors, type KiscDeps } from './client.activities.js';

export interface KiscPhotoCheck {
  vendorName: string;
  /** SHA-256 of the photo: later attempts refuse a photo that changed under the same key. */
  photoSha256: string;
  photoBytes: number;
  contentType: ImageContentType;
  /** Planned works announced in GET /news that have not ended (absent in runs recorded before it existed). */
  maintenance?: MaintenanceWindow[];
}

export interface KiscVerification {
  similarity: number;
  vendor: string;
  idempotencyKey: string;
  /** True when the result came from GET /verify after an earlier attempt's outcome was unknown. */
  recovered: boolean;
}

const ctx = () => Context.current();
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Everything that can be checked before the billed call: the photo, the personal-data signing key
 * (when the flow will need it), the TLS identity and the vendor.
 */
export async function kiscCheckRequest(
  d: KiscDeps,
  input: KiscEndpoint & { vendor: number; photo: string; maxPhotoBytes: number; signingKey?: KiscJwsKeySpec | undefined },
): Promise<KiscPhotoCheck> {
  // The history query (a visibility round trip to the server) runs beside the local checks and
  // the vendor list; its refusal wins over any other error, since it says why not to go on.
  const [repeated, checked] = await Promise.allSettled([
    refuseRepeatedVerification(),
    (async () => {
      const photo = await readPhoto(input.photo, input.maxPhotoBytes);
      if (input.signingKey) {
        const key = await openJwsKey(d, input.signingKey);
        await signDetachedJws(Buffer.from('trustflow: signing-key check'), key.privateKey, {
          alg: input.signingKey.alg,
          payloadMode: input.signingKey.payloadMode,
        });
      }
      const [list, maintenance] = await Promise.all([vendors(d, input), announcedMaintenance(d, input)]);
      return { photo, list, maintenance };
    })(),
  ]);
  if (repeated.status === 'rejected') throw repeated.reason;
  if (checked.status === 'rejected') throw checked.reason;
  const {
    photo: { bytes, contentType },
    list,
    maintenance,
  } = checked.value;
  const vendor = list.find((v) => v.id === input.vendor);
  if (!vendor) {
    throw new InvalidInputError(
      `vendor ${input.vendor} is not offered by KISC; available: ${list.map((v) => `${v.id} (${v.name})`).join(', ') || 'none'}`,
    );
  }
  return { vendorName: vendor.name, photoSha256: sha256(bytes), photoBytes: bytes.length, contentType, maintenance };
}

/**
 * The announced planned works again, while the flow waits for one to end (its news may have
 * changed). `assumeIfUnread`: the answer when GET /news fails (the flow passes the works it waits
 * for, so a failed read mid-wait does not end the wait early; default none).
 */
export async function kiscMaintenanceWindows(
  d: KiscDeps,
  input: KiscEndpoint & { assumeIfUnread?: MaintenanceWindow[] },
): Promise<MaintenanceWindow[]> {
  return announcedMaintenance(d, input, input.assumeIfUnread);
}

/** Billed. Retried by the policy table; every retry asks GET /verify before posting again. */
export async function kiscVerify(
  d: KiscDeps,
  input: KiscEndpoint & {
    iin: string;
    vendor: number;
    photo: string;
    maxPhotoBytes: number;
    photoSha256: string;
    idempotencyKey: string;
  },
): Promise<KiscVerification> {
  const { bytes, contentType } = await readPhoto(input.photo, input.maxPhotoBytes);
  if (sha256(bytes) !== input.photoSha256) {
    throw new TrustflowError(
      `photo ${input.photo} changed after the verification was prepared; a verification key is never reused for another photo: start a new flow`,
      FailureType.InputChanged,
      false,
    );
  }
  const kisc = await kiscClient(d, input);
  const signal = ctx().cancellationSignal;
  const attempt = ctx().info.attempt;
  if (attempt > 1) {
    // An earlier attempt may have been billed without us seeing the answer.
    const stored = await kisc.lookupVerification(input.idempotencyKey, input.iin, signal);
    if (stored) {
      ctx().log.info('KISC verification recovered by key', { attempt, idempotencyKey: input.idempotencyKey });
      return { similarity: stored.result, vendor: stored.vendor, idempotencyKey: input.idempotencyKey, recovered: true };
    }
  }
  // Heartbeats let a crashed worker's attempt be retried within the heartbeat timeout.
  const beat = setInterval(() => ctx().heartbeat(), 1000);
  try {
    const v = await kisc.verify(
      { iin: input.iin, vendorId: input.vendor, idempotencyKey: input.idempotencyKey, photo: bytes, contentType },
      signal,
    );
    metrics.billedCall({ provider: 'kisc', endpoint: 'POST /verify' });
    ctx().log.info('KISC verification done', { attempt, idempotencyKey: input.idempotencyKey });
    return { similarity: v.result, vendor: v.vendor, idempotencyKey: input.idempotencyKey, recovered: false };
  } finally {
    clearInterval(beat);
  }
}

/** POST /data, tied to the verification's key, the body signed as a detached JWS. */
export async function kiscFetchPersonalData(
  d: KiscDeps,
  input: KiscEndpoint & {
    signingKey: KiscJwsKeySpec;
    idempotencyKey: string;
    consentText: string;
    consentBodyFormat: 'json-string' | 'json-object';
    fields: string[];
    mcdb: boolean;
  },
): Promise<{ personalData: Record<string, unknown>; missingFields: string[] }> {
  const body = Buffer.from(
    JSON.stringify(input.consentBodyFormat === 'json-object' ? { consent: input.consentText } : input.consentText),
    'utf8',
  );
  const key = await openJwsKey(d, input.signingKey);
  const jwsSignature = await signDetachedJws(body, key.privateKey, {
    alg: input.signingKey.alg,
    payloadMode: input.signingKey.payloadMode,
    ...(input.signingKey.x5c ? { certificates: key.certificates } : {}),
  });
  const data = await (
    await kiscClient(d, input)
  ).personalData({ idempotencyKey: input.idempotencyKey, body, jwsSignature, mcdb: input.mcdb }, ctx().cancellationSignal);
  const personalData = Object.fromEntries(input.fields.filter((f) => Object.hasOwn(data, f)).map((f) => [f, data[f]]));
  const missingFields = input.fields.filter((f) => !Object.hasOwn(data, f));
  // Field names only: values are personal data.
  ctx().log.info('KISC personal data received', {
    returnedFields: Object.keys(personalData),
    missingFields,
    droppedFields: Object.keys(data).length - Object.keys(personalData).length,
  });
  return { personalData, missingFields };
}

/**
 * A workflow id names one verification. An earlier run under this id that reached the billed step
 * (it recorded its KiscIdempotencyKey) may have been charged: a new run would be charged again under
 * a new key. Starts through the client helpers get the recorded result instead; this catches the
 * rest (the temporal CLI, raw client starts) before anything is billed.
 */
async function refuseRepeatedVerification(): Promise<void> {
  const run = ctx().info.workflowExecution;
  if (!run) return; // not called from a workflow (a standalone activity run)
  const { workflowId, runId } = run;
  const quoted = workflowId.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  for await (const wf of ctx().client.workflow.list({ query: `WorkflowId = '${quoted}' AND WorkflowType = '${KISC_VERIFY_IDENTITY}'` })) {
    if (wf.runId === runId || wf.workflowId !== workflowId) continue;
    const key = wf.typedSearchAttributes.get(searchAttributes.kiscIdempotencyKey);
    if (!key) continue; // that run stopped before the billed step
    const earlier =
      wf.status.name === 'COMPLETED'
        ? "its result is that run's (trustflow status / the client helpers return it)"
        : 'that run may have been billed without a result: kiscReconcile reports it as chargedWithoutResult';
    throw new TrustflowError(
      `workflow id ${workflowId} already made a KISC verification (run ${wf.runId}, ${wf.status.name}, idempotency key ${key}); ` +
        `a new run would be billed again under a new key; ${earlier}. For a new verification use a new workflow id`,
      FailureType.AlreadyBilled,
      false,
    );
  }
}
