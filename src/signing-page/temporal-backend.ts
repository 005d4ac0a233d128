// The signing server's SigningBackend over Temporal: the page's view is the waiting flow's
// `personSigning` query, a submission its `submitPersonSignature` Update (person-signing.contract.ts).
// The client is the one every trustflow client builds (client/connection.ts), so the CMS, the
// Update's argument, is encrypted by the payload codec before it reaches the history.
//
// Every call is bounded (signingPageWaits): a query or an Update to a flow that no worker runs would
// wait for the server's own timeout; past the bound the page is told "unavailable, try again in a
// minute", never left hanging.
import {
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceError,
  WorkflowClient,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, NamespaceNotFoundError } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { signingPageWaits } from '../common/policies.js';
import {
  PERSON_SIGNATURE_REFUSED,
  PERSON_SIGNING_QUERY,
  SUBMIT_PERSON_SIGNATURE,
  type PersonSignatureRefusal,
  type PersonSigningView,
  type SubmitPersonSignatureRequest,
  type SubmitPersonSignatureResult,
} from '../flows/person-signing/person-signing.contract.js';
import type { SigningLink } from '../common/signing-link.js';
import { SigningBackendUnavailableError, type SigningBackend, type SubmitOutcome } from './server.js';

export interface TemporalSigningBackendOptions {
  /** Default signingPageWaits.queryMs. */
  queryMs?: number;
  /** Default signingPageWaits.submitMs. */
  submitMs?: number;
}

/**
 * The server's failure when an Update was accepted but its workflow closed before completing it: the
 * request ended while the signature was being checked.
 */
const UPDATE_ON_CLOSED_WORKFLOW = 'AcceptedUpdateCompletedWorkflow';

export function temporalSigningBackend(client: Client, o: TemporalSigningBackendOptions = {}): SigningBackend {
  const queryMs = o.queryMs ?? signingPageWaits.queryMs;
  const submitMs = o.submitMs ?? signingPageWaits.submitMs;
  // Queries through this client are refused at once by the server for a closed workflow (no worker
  // needed to replay it): a closed flow's request is over, whatever its last view said.
  const queries = new WorkflowClient({
    connection: client.connection,
    namespace: client.options.namespace,
    dataConverter: client.options.dataConverter,
    interceptors: client.options.interceptors.workflow,
    queryRejectCondition: 'NOT_OPEN',
  });

  return {
    async view(link: SigningLink): Promise<PersonSigningView | 'not-found' | 'completed'> {
      let view: unknown;
      try {
        view = await bounded(client, queryMs, 'query', () => queries.getHandle(link.workflowId).query<unknown>(PERSON_SIGNING_QUERY));
      } catch (err) {
        // A closed one: signed and done when it completed (a person flow completes only with a
        // signature); over otherwise. Asked of the server, so no worker is needed.
        if (err instanceof QueryRejectedError)
          return (await closedStatus(client, link.workflowId, queryMs)) === 'COMPLETED' ? 'completed' : 'not-found';
        // No such flow; a flow that is not a person signer (or whose query failed).
        if (err instanceof WorkflowNotFoundError || err instanceof QueryNotRegisteredError) return 'not-found';
        throw unavailableOr(err);
      }
      if (!isView(view)) throw new Error(`the ${PERSON_SIGNING_QUERY} query answered something that is not a PersonSigningView`);
      return view;
    },

    async submit(link: SigningLink, req: SubmitPersonSignatureRequest): Promise<SubmitOutcome> {
      const handle = client.workflow.getHandle(link.workflowId);
      try {
        return await bounded(client, submitMs, 'update', () =>
          handle.executeUpdate<SubmitPersonSignatureResult, [SubmitPersonSignatureRequest]>(SUBMIT_PERSON_SIGNATURE, {
            args: [req],
            // The same CMS for the same challenge is the same Update: a page that sends it again
            // (after a 503, a lost answer) joins the first one instead of having it checked twice.
            updateId: submissionId(req),
          }),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          const refusal = refusalIn(err.cause);
          if (refusal) {
            const reason = (refusal.details?.[0] as { reason?: unknown } | undefined)?.reason;
            if (typeof reason !== 'string' || !reason)
              throw new Error(`a ${PERSON_SIGNATURE_REFUSED} failure without details[0].reason: the flow must say why`, { cause: err });
            return { refused: { reason: reason as PersonSignatureRefusal, message: refusal.message } };
          }
          const cause = err.cause;
          if (cause instanceof ApplicationFailure && cause.type === UPDATE_ON_CLOSED_WORKFLOW) return notWaiting;
          const kind = cause instanceof ApplicationFailure ? (cause.type ?? 'untyped') : (cause?.name ?? 'unknown');
          throw new SigningBackendUnavailableError(`update-failed:${kind}`, undefined, { cause: err });
        }
        // The flow closed between the view and the Update.
        if (err instanceof WorkflowNotFoundError) return notWaiting;
        throw unavailableOr(err);
      }
    },
  };
}

/** The status of a closed workflow (COMPLETED, FAILED, …), bounded like every call. */
async function closedStatus(client: Client, workflowId: string, ms: number): Promise<string> {
  try {
    return (await bounded(client, ms, 'describe', () => client.workflow.getHandle(workflowId).describe())).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw unavailableOr(err);
  }
}

/**
 * The PersonSignatureRefused failure the Update failed with: its own failure, or one it carries as a
 * cause (a refusal raised in the checking activity and passed on as the activity's failure).
 */
function refusalIn(failure: Error | undefined): ApplicationFailure | undefined {
  for (let f: unknown = failure, depth = 0; f instanceof Error && depth < 4; depth++, f = f.cause)
    if (f instanceof ApplicationFailure && f.type === PERSON_SIGNATURE_REFUSED) return f;
  return undefined;
}

const notWaiting: SubmitOutcome = { refused: { reason: 'not-waiting', message: 'the signing request is over' } };

/** The Update id of a submission: derived from what was signed, so a repeated submission is the same Update. */
export function submissionId(req: SubmitPersonSignatureRequest): string {
  const digest = createHash('sha256').update(`${req.requestId}\n${req.challengeId}\n${req.cms}`).digest('hex');
  return `person-signature-${digest.slice(0, 32)}`;
}

/** Runs `fn` for at most `ms` (its gRPC call aborted then): SigningBackendUnavailableError('<what>-timeout') past it. */
async function bounded<T>(client: Client, ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new SigningBackendUnavailableError(`${what}-timeout`));
    }, ms);
  });
  const call = client.withAbortSignal(abort.signal, fn);
  call.catch(() => undefined); // settled after the timeout: nobody waits for it any more
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Temporal not answering becomes SigningBackendUnavailableError; anything else is a bug, passed on. */
function unavailableOr(err: unknown): unknown {
  if (err instanceof SigningBackendUnavailableError) return err;
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
    return new SigningBackendUnavailableError('update-rpc-timeout', undefined, { cause: err });
  if (err instanceof NamespaceNotFoundError) return new SigningBackendUnavailableError('namespace-not-found', undefined, { cause: err });
  if (err instanceof ServiceError || isGrpcServiceError(err))
    return new SigningBackendUnavailableError('temporal-unreachable', undefined, { cause: err });
  return err;
}

function isView(v: unknown): v is PersonSigningView {
  const view = v as Partial<PersonSigningView> | null;
  return !!view && typeof view === 'object' && typeof view.requestId === 'string' && typeof view.state === 'string';
}
