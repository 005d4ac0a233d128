// What the Temporal server said when it refused a call, for the client helpers: the SDK wraps the
// gRPC error ("Failed to start Workflow", "Workflow Update failed") and keeps the server's reason only
// in the cause's details. These helpers find it and turn it into a typed TrustflowError, and keep
// the SDK from retrying the one refusal that long retries make worse (the in-flight Update limit):
// the keeper helpers retry it briefly themselves, then report it.
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type GrpcRetryOptions } from '@temporalio/client';
import proto from '@temporalio/proto';
import { FailureType, TrustflowError } from '../common/errors.js';
import { clientWaits } from '../common/policies.js';

/** gRPC status codes the helpers tell apart (the numbers are gRPC's, fixed). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNAVAILABLE: 14,
} as const;
const CODE_NAMES = Object.fromEntries(Object.entries(GrpcCode).map(([k, v]) => [v, k])) as Record<number, string>;

interface GrpcStatusLike {
  code: number;
  details: string;
  metadata?: { get(key: string): unknown[] };
}

function isGrpcStatus(e: unknown): e is GrpcStatusLike {
  return typeof e === 'object' && e !== null && typeof (e as GrpcStatusLike).code === 'number' && 'details' in e;
}

/** The gRPC status behind `err` (the error itself, or its cause, as the SDK wraps it). */
export function grpcStatusOf(err: unknown): GrpcStatusLike | undefined {
  for (let e = err, depth = 0; e && depth < 5; depth++, e = (e as { cause?: unknown }).cause) if (isGrpcStatus(e)) return e;
  return undefined;
}

/** The messages inside the status details (a multi-operation's per-operation reasons). */
function detailMessages(status: GrpcStatusLike): string[] {
  const bin = status.metadata?.get('grpc-status-details-bin')?.[0];
  if (!(bin instanceof Uint8Array)) return [];
  try {
    const out: string[] = [];
    for (const d of proto.google.rpc.Status.decode(bin).details ?? []) {
      if (!d.type_url?.endsWith('MultiOperationExecutionFailure') || !d.value) continue;
      for (const s of proto.temporal.api.errordetails.v1.MultiOperationExecutionFailure.decode(d.value).statuses ?? [])
        if (s.message) out.push(s.message);
    }
    return out;
  } catch {
    return [];
  }
}

/** Words that say nothing: a multi-operation's summary, and the operation that was aborted because the other failed. */
const NO_REASON = /^$|could not be executed\.?$|^Operation was aborted\.?$/;

/** The server's own words, e.g. "WorkflowId length exceeds limit." (gRPC INVALID_ARGUMENT). */
export function serverReasonOf(err: unknown): { code: number; codeName: string; reason: string } | undefined {
  const s = grpcStatusOf(err);
  if (!s) return undefined;
  // The SDK puts the failed operation's reason of a multi-operation into the error's message.
  const own = String((s as { message?: unknown }).message ?? '').replace(/^\d+ [A-Z_]+: /, '');
  // (The SDK may also have put a binary detail, decoded as text, into `details`: control characters.)
  const words = [...new Set([s.details, own, ...detailMessages(s)].map((m) => String(m ?? '').trim()))].filter(
    (m) => !NO_REASON.test(m) && ![...m].some((ch) => ch.charCodeAt(0) < 32),
  );
  return { code: s.code, codeName: CODE_NAMES[s.code] ?? `code ${s.code}`, reason: words.join('; ') || 'no reason given' };
}

const IN_FLIGHT_LIMIT = /in-flight updates/i;

/** The server refused an Update because the workflow has `history.maxInFlightUpdates` Updates in flight. */
export function isInFlightUpdateLimit(err: unknown): boolean {
  const s = grpcStatusOf(err);
  return (
    s?.code === GrpcCode.RESOURCE_EXHAUSTED &&
    (IN_FLIGHT_LIMIT.test(s.details) ||
      IN_FLIGHT_LIMIT.test((err as Error).message ?? '') ||
      detailMessages(s).some((m) => IN_FLIGHT_LIMIT.test(m)))
  );
}

/** The Temporal server refused a call: its code and reason in the message. */
export class ServerRefusedError extends TrustflowError {
  override readonly name = 'ServerRefusedError';
  constructor(
    message: string,
    type: FailureType,
    readonly grpcCode: number,
    readonly serverReason: string,
  ) {
    super(message, type, false);
  }
}

/**
 * `err` as a ServerRefusedError saying what was refused (`what`, e.g. "start mptSignIn
 * 'order-17'") and the server's reason, or undefined when `err` is not a server refusal.
 * INVALID_ARGUMENT (an id too long, a payload too large) is the caller's input: InvalidInput.
 */
export function serverRefusal(err: unknown, what: string, advice = ''): ServerRefusedError | undefined {
  const r = serverReasonOf(err);
  if (!r || r.code === GrpcCode.ALREADY_EXISTS || r.code === GrpcCode.NOT_FOUND) return undefined;
  const type = r.code === GrpcCode.INVALID_ARGUMENT ? FailureType.InvalidInput : FailureType.ServerRefused;
  return Object.assign(
    new ServerRefusedError(`the Temporal server refused to ${what}: ${r.reason} (gRPC ${r.codeName})${advice}`, type, r.code, r.reason),
    { cause: err },
  );
}

/** What to do about the in-flight Update limit: the message every refused keeper call carries. */
export const IN_FLIGHT_LIMIT_ADVICE =
  '. The server admits only history.maxInFlightUpdates Updates in flight per workflow (default 10), and each refusal ' +
  `also aborts the Updates it had admitted, so this call stopped asking after ${clientWaits.keeperInFlightLimitRetryMs / 1000} s. ` +
  "Raise it to your callers' peak " +
  'concurrency per participant: `temporal server start-dev --dynamic-config-value history.maxInFlightUpdates=1000`, ' +
  "or `history.maxInFlightUpdates: [{value: 1000}]` in the cluster's dynamic config (docs/token-keepers.md); " +
  'callers of one process share Updates unless coalesce: false';

/**
 * The SDK's gRPC retry (SDK defaults) except for the in-flight Update limit, which the keeper
 * helpers retry for a few seconds themselves and then report (the SDK's own retries of it would
 * last ~40 s, each aborting other callers' admitted Updates): for connectClient.
 */
export function trustflowGrpcRetryInterceptor(): ReturnType<typeof makeGrpcRetryInterceptor> {
  const defaults: GrpcRetryOptions = defaultGrpcRetryOptions();
  return makeGrpcRetryInterceptor({
    delayFunction: defaults.delayFunction,
    retryableDecider: (attempt, status) =>
      !isInFlightUpdateLimit(Object.assign(new Error(status.details), status)) && defaults.retryableDecider(attempt, status),
  });
}
