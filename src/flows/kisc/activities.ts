// KISC identity-exchange activities. The billed call (POST /verify) is made exactly once per
// idempotency key: the workflow creates the key before the first attempt, and every retry of
// kiscVerify first asks GET /verify for that key's result, re-posting (with the same key) only when
// KISC has none. Photos are read here from their reference and never returned; personal data is
// trimmed here to the requested fields, so nothing else enters history (which the codec encrypts).
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { KiscEndpoint } from '../../contracts/kisc-endpoint.js';
import type { MaintenanceWindow } from '../../contracts/kisc-maintenance.js';
import type { KiscJwsKeySpec } from './kisc-verify-identity.contract.js';
import type { ReconcileCharge } from './kisc-reconcile.contract.js';
import { KISC_VERIFY_IDENTITY } from './kisc-verify-identity.contract.js';
import { FailureType, InvalidInputError, TrustflowError } from '../../common/errors.js';
import { httpTimeout } from '../http-timeout.activities.js';
import { imageContentType, type ImageContentType } from '../../common/image-type.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { assertCertificateValid } from '../../crypto/certificates/validity.js';
import { metrics } from '../../common/metrics.js';
import { signDetachedJws } from '../../crypto/jws.js';
import { openPkcs12File } from '../../crypto/keys/pkcs12.js';
import { KISC_TLS_ADVICE, KiscClient, transactionTimeToIso, type Vendor } from '../../providers/kisc/index.js';
import { parseMaintenanceNews } from '../../providers/kisc/maintenance.js';
import { openMutualTls } from '../../providers/mutual-tls.js';
import { readBlob } from '../../secrets/blob.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';

export interface KiscActivityDeps {
  resolveSecret?: SecretResolver;
  now?: () => Date;
  /** How long GET /vendors answers are reused (ms). */
  vendorsCacheMs?: number;
}

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

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function createKiscActivities(deps: KiscActivityDeps = {}) {
  const resolveSecret = deps.resolveSecret ?? defaultResolveSecret;
  const now = deps.now ?? (() => new Date());
  const vendorsCacheMs = deps.vendorsCacheMs ?? 10 * 60_000;
  const vendorsCache = new Map<string, { at: number; vendors: Vendor[] }>();
  const ctx = () => Context.current();

  const client = async (e: KiscEndpoint) => {
    const { agent } = await openMutualTls(e.tls, resolveSecret, {
      provider: 'KISC',
      renewalAdvice: KISC_TLS_ADVICE,
      warn: (message, attrs) => ctx().log.warn(message, attrs ?? {}),
      now: now(),
    });
    return new KiscClient({ baseUrl: e.baseUrl, agent, timeoutMs: httpTimeout() });
  };

  /**
   * Planned works KISC announces in GET /news that have not ended yet. Never fatal: an item that
   * announces works in words this parser cannot read is logged and ignored, and so is a failed
   * request (the billed call then goes ahead, as it did before news were read).
   */
  async function announcedMaintenance(e: KiscEndpoint, assumeIfUnread: MaintenanceWindow[] = []): Promise<MaintenanceWindow[]> {
    let items;
    try {
      items = await (await client(e)).news(ctx().cancellationSignal);
    } catch (err) {
      if (ctx().cancellationSignal.aborted) throw err;
      ctx().log.warn(
        assumeIfUnread.length
          ? 'KISC GET /news failed: the planned works announced before are assumed to stand'
          : 'KISC GET /news failed: announced planned works are not known for this verification',
        { reason: err instanceof Error ? err.message : String(err) },
      );
      return assumeIfUnread;
    }
    const { windows, unparsed } = parseMaintenanceNews(items);
    for (const item of unparsed)
      ctx().log.warn('KISC news item announces works but names no time range trustflow can read: ignored', {
        date: item.date,
        subject: item.subject,
      });
    const at = now().getTime();
    return windows.filter((w) => Date.parse(w.end) > at);
  }

  async function vendors(e: KiscEndpoint): Promise<Vendor[]> {
    const cached = vendorsCache.get(e.baseUrl);
    if (cached && Date.now() - cached.at < vendorsCacheMs) return cached.vendors;
    const list = await (await client(e)).vendors(ctx().cancellationSignal);
    vendorsCache.set(e.baseUrl, { at: Date.now(), vendors: list });
    return list;
  }

  /**
   * The key that will sign POST /data, opened and tried before anything is billed: the reference
   * resolves, the file reads, the password is right, the key fits the algorithm (a trial signature),
   * and its certificate is valid now. A failure here costs nothing; after /verify it would cost a charge.
   */
  async function openJwsKey(spec: KiscJwsKeySpec) {
    const key = await openPkcs12File(spec.path, spec.password, resolveSecret);
    assertCertificateValid(key.certificates[0]!, `signingKey ${spec.path}`, now());
    return key;
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

  async function readPhoto(ref: string, maxBytes: number): Promise<{ bytes: Buffer; contentType: ImageContentType }> {
    const bytes = await readBlob(ref, maxBytes, 'photo');
    const contentType = imageContentType(bytes);
    if (!contentType) throw new InvalidInputError(`photo ${ref} is neither a PNG nor a JPEG (judged by its first bytes, not its name)`);
    return { bytes, contentType };
  }

  return {
    /**
     * Everything that can be checked before the billed call: the photo, the personal-data signing key
     * (when the flow will need it), the TLS identity and the vendor.
     */
    kiscCheckRequest: async (
      input: KiscEndpoint & { vendor: number; photo: string; maxPhotoBytes: number; signingKey?: KiscJwsKeySpec | undefined },
    ): Promise<KiscPhotoCheck> => {
      // The history query (a visibility round trip to the server) runs beside the local checks and
      // the vendor list; its refusal wins over any other error, since it says why not to go on.
      const [repeated, checked] = await Promise.allSettled([
        refuseRepeatedVerification(),
        (async () => {
          const photo = await readPhoto(input.photo, input.maxPhotoBytes);
          if (input.signingKey) {
            const key = await openJwsKey(input.signingKey);
            await signDetachedJws(Buffer.from('trustflow: signing-key check'), key.privateKey, {
              alg: input.signingKey.alg,
              payloadMode: input.signingKey.payloadMode,
            });
          }
          const [list, maintenance] = await Promise.all([vendors(input), announcedMaintenance(input)]);
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
    },

    /**
     * The announced planned works again, while the flow waits for one to end (its news may have
     * changed). `assumeIfUnread`: the answer when GET /news fails (the flow passes the works it waits
     * for, so a failed read mid-wait does not end the wait early; default none).
     */
    kiscMaintenanceWindows: async (input: KiscEndpoint & { assumeIfUnread?: MaintenanceWindow[] }): Promise<MaintenanceWindow[]> =>
      announcedMaintenance(input, input.assumeIfUnread),

    /** Billed. Retried by the policy table; every retry asks GET /verify before posting again. */
    kiscVerify: async (
      input: KiscEndpoint & {
        iin: string;
        vendor: number;
        photo: string;
        maxPhotoBytes: number;
        photoSha256: string;
        idempotencyKey: string;
      },
    ): Promise<KiscVerification> => {
      const { bytes, contentType } = await readPhoto(input.photo, input.maxPhotoBytes);
      if (sha256(bytes) !== input.photoSha256) {
        throw new TrustflowError(
          `photo ${input.photo} changed after the verification was prepared; a verification key is never reused for another photo: start a new flow`,
          FailureType.InputChanged,
          false,
        );
      }
      const kisc = await client(input);
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
    },

    /** POST /data, tied to the verification's key, the body signed as a detached JWS. */
    kiscFetchPersonalData: async (
      input: KiscEndpoint & {
        signingKey: KiscJwsKeySpec;
        idempotencyKey: string;
        consentText: string;
        consentBodyFormat: 'json-string' | 'json-object';
        fields: string[];
        mcdb: boolean;
      },
    ): Promise<{ personalData: Record<string, unknown>; missingFields: string[] }> => {
      const body = Buffer.from(
        JSON.stringify(input.consentBodyFormat === 'json-object' ? { consent: input.consentText } : input.consentText),
        'utf8',
      );
      const key = await openJwsKey(input.signingKey);
      const jwsSignature = await signDetachedJws(body, key.privateKey, {
        alg: input.signingKey.alg,
        payloadMode: input.signingKey.payloadMode,
        ...(input.signingKey.x5c ? { certificates: key.certificates } : {}),
      });
      const data = await (
        await client(input)
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
    },

    /** KISC's transactions report for [from, to] (YYYY-MM-DD, Almaty days). No PII: keys, vendors, scores. */
    kiscTransactions: async (input: KiscEndpoint & { from: string; to: string }): Promise<ReconcileCharge[]> => {
      const compact = (d: string) => d.replaceAll('-', '');
      const rows = await (await client(input)).transactions(compact(input.from), compact(input.to), ctx().cancellationSignal);
      return rows.map((r) => ({
        idempotencyKey: r.x_idempotency_key,
        vendor: r.vendor_name,
        chargedAt: transactionTimeToIso(r.datetime),
        similarity: r.similarity,
      }));
    },

    /**
     * trustflow's own record of KISC verifications, from the search attributes kiscVerifyIdentity sets:
     * those whose result arrived in [fromIso, toIso), and which of `keys` belong to any of our flows.
     */
    kiscRecordedVerifications: async (input: {
      fromIso: string;
      toIso: string;
      keys: string[];
    }): Promise<{
      billed: { idempotencyKey: string; billedAt: string; workflowId: string }[];
      ownKeys: { idempotencyKey: string; workflowId: string }[];
    }> => {
      const workflows = ctx().client.workflow;
      const billed: { idempotencyKey: string; billedAt: string; workflowId: string }[] = [];
      const query = `WorkflowType = '${KISC_VERIFY_IDENTITY}' AND ${searchAttributes.kiscBilledAt.name} >= '${input.fromIso}' AND ${searchAttributes.kiscBilledAt.name} < '${input.toIso}'`;
      for await (const wf of workflows.list({ query })) {
        const key = wf.typedSearchAttributes.get(searchAttributes.kiscIdempotencyKey);
        const at = wf.typedSearchAttributes.get(searchAttributes.kiscBilledAt);
        if (key && at) billed.push({ idempotencyKey: key, billedAt: at.toISOString(), workflowId: wf.workflowId });
      }
      const ownKeys: { idempotencyKey: string; workflowId: string }[] = [];
      const keys = input.keys.filter((k) => /^[A-Za-z0-9-]{1,100}$/.test(k)); // keys come from KISC: never into a query unchecked
      for (let i = 0; i < keys.length; i += 100) {
        const batch = keys.slice(i, i + 100);
        const q = `WorkflowType = '${KISC_VERIFY_IDENTITY}' AND ${searchAttributes.kiscIdempotencyKey.name} IN (${batch.map((k) => `'${k}'`).join(', ')})`;
        for await (const wf of workflows.list({ query: q })) {
          const key = wf.typedSearchAttributes.get(searchAttributes.kiscIdempotencyKey);
          if (key) ownKeys.push({ idempotencyKey: key, workflowId: wf.workflowId });
        }
      }
      return { billed, ownKeys };
    },
  };
}

export type KiscActivities = ReturnType<typeof createKiscActivities>;
