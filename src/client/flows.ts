// Typed start/execute helpers for other services, over one registry of flows. Every start goes
// through `startFlow`, which refuses to start without payload encryption, validates the input, and
// applies the flow's workflow-id reuse rule (see `flows[...].idReuse` and the README).
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type Connection,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { Workflow, WorkflowIdReusePolicy } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { z } from 'zod';
import { MPT_SIGN_IN, MptSignInInputSchema, type MptSignInInput, type MptSignInResult } from '../common/contracts/mpt-sign-in.js';
import { KONTUR_SIGN_IN, KonturSignInInputSchema, type KonturSignInInput, type KonturSignInResult } from '../common/contracts/kontur-sign-in.js';
import {
  KISC_RECONCILE,
  KISC_VERIFY_IDENTITY,
  KiscReconcileInputSchema,
  KiscVerifyIdentityInputSchema,
  type KiscReconcileInput,
  type KiscReconcileResult,
  type KiscVerifyIdentityInput,
  type KiscVerifyIdentityResult,
} from '../common/contracts/kisc-verify-identity.js';
import {
  CIPHER_INSPECT_KEY_STORE,
  CIPHER_SIGN,
  CipherInspectKeyStoreInputSchema,
  CipherSignInputSchema,
  type CipherInspectKeyStoreInput,
  type CipherInspectKeyStoreResult,
  type CipherSignInput,
  type CipherSignResult,
} from '../common/contracts/cipher-sign.js';
import {
  KPSIS_ISSUE_CERTIFICATE,
  KpsisIssueCertificateInputSchema,
  SUBMIT_ISSUED_CERTIFICATE,
  type KpsisIssueCertificateInput,
  type KpsisIssueCertificateResult,
  type SubmitIssuedCertificateResult,
} from '../common/contracts/kpsis-issue-certificate.js';
import { describeInputIssues } from '../common/contracts/validation.js';
import { FailureType, InvalidInputError, TrustflowError } from '../common/errors.js';
import { temporalSettingsFromEnv } from '../common/env.js';
import { isLoopbackHost } from '../common/transport.js';
import type { cipherInspectKeyStore } from '../workflows/cipher-inspect-key-store.js';
import type { cipherSign } from '../workflows/cipher-sign.js';
import type { kiscReconcile } from '../workflows/kisc-reconcile.js';
import type { kpsisIssueCertificate } from '../workflows/kpsis-issue-certificate.js';
import type { kiscVerifyIdentity } from '../workflows/kisc-verify-identity.js';
import type { konturSignIn } from '../workflows/kontur-sign-in.js';
import type { mptSignIn } from '../workflows/mpt-sign-in.js';

/**
 * What starting a flow again with the id of a closed run does.
 *  - `new-run`: a new run (ALLOW_DUPLICATE). For flows whose repetition costs nothing: a new token,
 *    a new signature, a new report.
 *  - `recorded-result`: a completed run is final (ALLOW_DUPLICATE_FAILED_ONLY): the same input gets
 *    that run's recorded result, nothing is sent again; another input is refused. A failed run may be
 *    started again; the flow itself then refuses to repeat what the failed run may already have done
 *    (KISC: a billed verification, AlreadyBilled; KPSIS: an artifactsDir that holds a key).
 */
export type IdReuse = 'new-run' | 'recorded-result';

interface FlowSpec {
  workflowType: string;
  inputSchema: z.ZodType;
  idReuse: IdReuse;
  /** A result without secrets or personal data, for `trustflow status`. */
  summarize(result: never): Record<string, unknown>;
}

/** Every flow by its CLI name: workflow type, input schema, id-reuse rule, result summary. */
export const flows = {
  'mpt-sign-in': {
    workflowType: MPT_SIGN_IN,
    inputSchema: MptSignInInputSchema,
    idReuse: 'new-run',
    summarize: (r: MptSignInResult) => ({ token: '(secret)', expiresAt: r.expiresAt, obtainedAt: r.obtainedAt }),
  },
  'kontur-sign-in': {
    workflowType: KONTUR_SIGN_IN,
    inputSchema: KonturSignInInputSchema,
    idReuse: 'new-run',
    summarize: (r: KonturSignInResult) => ({ sid: '(secret)', refreshToken: '(secret)', expiresAt: r.expiresAt, obtainedAt: r.obtainedAt }),
  },
  'kisc-verify-identity': {
    workflowType: KISC_VERIFY_IDENTITY,
    inputSchema: KiscVerifyIdentityInputSchema,
    idReuse: 'recorded-result',
    summarize: (r: KiscVerifyIdentityResult) => ({
      outcome: r.outcome,
      similarity: r.similarity,
      minSimilarity: r.minSimilarity,
      vendor: r.vendor,
      idempotencyKey: r.idempotencyKey,
      verifiedAt: r.verifiedAt,
      ...(r.personalData ? { personalDataFields: Object.keys(r.personalData) } : {}),
      ...(r.missingFields ? { missingFields: r.missingFields } : {}),
    }),
  },
  'kisc-reconcile': {
    workflowType: KISC_RECONCILE,
    inputSchema: KiscReconcileInputSchema,
    idReuse: 'new-run',
    summarize: (r: KiscReconcileResult) => ({
      from: r.from,
      to: r.to,
      recorded: r.recorded,
      reported: r.reported,
      matched: r.matched,
      missing: r.missing.length,
      unexpected: r.unexpected.length,
      chargedWithoutResult: r.chargedWithoutResult.length,
    }),
  },
  'cipher-sign': {
    workflowType: CIPHER_SIGN,
    inputSchema: CipherSignInputSchema,
    idReuse: 'new-run',
    summarize: (r: CipherSignResult) => ({
      signatureBytes: r.signatureBytes,
      ...(r.outputFile ? { outputFile: r.outputFile } : {}),
      signer: { serialNumber: r.signer.serialNumber, notAfter: r.signer.notAfter, daysLeft: r.signer.daysLeft },
      warnings: r.warnings.length,
    }),
  },
  'cipher-inspect-key-store': {
    workflowType: CIPHER_INSPECT_KEY_STORE,
    inputSchema: CipherInspectKeyStoreInputSchema,
    idReuse: 'new-run',
    summarize: (r: CipherInspectKeyStoreResult) => ({
      signature: { state: r.signature.state, notAfter: r.signature.certificate?.notAfter ?? null, daysLeft: r.signature.certificate?.daysLeft ?? null },
      keyAgreement: { state: r.keyAgreement.state, notAfter: r.keyAgreement.certificate?.notAfter ?? null, daysLeft: r.keyAgreement.certificate?.daysLeft ?? null },
      warnings: r.warnings.length,
    }),
  },
  'kpsis-issue-certificate': {
    workflowType: KPSIS_ISSUE_CERTIFICATE,
    inputSchema: KpsisIssueCertificateInputSchema,
    idReuse: 'recorded-result',
    summarize: (r: KpsisIssueCertificateResult) => ({
      outcome: r.outcome,
      requestedAt: r.requestedAt,
      ...(r.certificate ? { certificate: { serialNumber: r.certificate.serialNumber, notAfter: r.certificate.notAfter, path: r.certificate.path } } : {}),
    }),
  },
} as const satisfies Record<string, FlowSpec>;
export type FlowName = keyof typeof flows;

/** The registry entry of a workflow type, e.g. for `trustflow status`. */
export function flowOfType(workflowType: string): (typeof flows)[FlowName] | undefined {
  return Object.values(flows).find((f) => f.workflowType === workflowType);
}

const REUSE_POLICY: Record<IdReuse, WorkflowIdReusePolicy> = { 'new-run': 'ALLOW_DUPLICATE', 'recorded-result': 'ALLOW_DUPLICATE_FAILED_ONLY' };

export interface StartOptions<I> {
  /** Your business id (e.g. `mpt-token-<BIN>`): a second start with the same id joins the running flow. */
  workflowId: string;
  input: I;
  taskQueue?: string;
  /** Told when the id belongs to a completed run whose recorded result is returned instead of a new run. */
  onRecordedResult?: (run: { runId: string; closedAt: string | undefined }) => void;
}

/** A start refused because payloads would be stored in clear. */
export class UnencryptedStartRefusedError extends TrustflowError {
  override readonly name = 'UnencryptedStartRefusedError';
  constructor(message: string) {
    super(message, FailureType.InvalidInput, false);
  }
}

/**
 * Refuses to start a flow through a client without a payload codec: its input (references, but also
 * IINs and consent texts) and its result (tokens) would be stored in clear in the history.
 * TRUSTFLOW_ALLOW_UNENCRYPTED=1 allows it for a server on loopback only.
 */
export function assertEncryptingClient(client: Client, env: NodeJS.ProcessEnv = process.env): void {
  if (client.options.loadedDataConverter.payloadCodecs.length > 0) return;
  const address = (client.connection as Connection).options?.address ?? '(unknown address)';
  const host = address.replace(/:\d+$/, '');
  if (env.TRUSTFLOW_ALLOW_UNENCRYPTED === '1' && isLoopbackHost(host)) return;
  throw new UnencryptedStartRefusedError(
    `refusing to start a flow without payload encryption: its input and result would be stored in clear at ${address}. ` +
      'Set TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE to the workers\' keyring (npm start\'s development keyring is .trustflow/codec-keys)' +
      (isLoopbackHost(host) ? ', or TRUSTFLOW_ALLOW_UNENCRYPTED=1 for this loopback server' : ''),
  );
}

/**
 * Refuses unencrypted starts, validates the input (fails fast with what is wrong and how to fix it),
 * then starts the flow. Starting again with the ID of a running flow returns that flow (conflict
 * policy USE_EXISTING); with the ID of a closed run, the flow's `idReuse` rule applies.
 */
export async function startFlow(client: Client, flow: FlowName, o: StartOptions<unknown>): Promise<WorkflowHandleWithFirstExecutionRunId> {
  assertEncryptingClient(client);
  const { workflowType, inputSchema, idReuse } = flows[flow];
  const parsed = inputSchema.safeParse(o.input);
  if (!parsed.success) throw new InvalidInputError(`invalid ${workflowType} input: ${describeInputIssues(parsed.error)}`);
  try {
    return await client.workflow.start(workflowType, {
      taskQueue: o.taskQueue ?? temporalSettingsFromEnv().taskQueue,
      workflowId: o.workflowId,
      args: [parsed.data],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: REUSE_POLICY[idReuse],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError) || idReuse !== 'recorded-result') throw err;
    return recordedRun(client, workflowType, inputSchema, o, parsed.data);
  }
}

/** The completed run behind a refused start: its handle when it ran this very input, else a refusal saying why. */
async function recordedRun(
  client: Client,
  workflowType: string,
  inputSchema: z.ZodType,
  o: StartOptions<unknown>,
  input: unknown,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const d = await client.workflow.getHandle(o.workflowId).describe();
  const closedAt = d.closeTime?.toISOString();
  if (d.type !== workflowType) {
    throw new InvalidInputError(`workflow id ${o.workflowId} belongs to a ${d.type} flow, not ${workflowType}: use another workflow id`);
  }
  const history = await client.workflow.getHandle(o.workflowId, d.runId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  // Compared after parsing both, so defaults and key order do not make the same input look different.
  const recorded = inputSchema.safeParse(await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, payloads));
  if (!recorded.success || JSON.stringify(recorded.data) !== JSON.stringify(input)) {
    throw new TrustflowError(
      `workflow id ${o.workflowId} already completed a ${workflowType} with another input (run ${d.runId}, ${closedAt ?? 'closed'}); ` +
        `a completed ${workflowType} is final and is never repeated under its id: use a new workflow id`,
      FailureType.WorkflowIdTaken,
      false,
    );
  }
  o.onRecordedResult?.({ runId: d.runId, closedAt });
  return Object.assign(client.workflow.getHandle(o.workflowId, d.runId, { firstExecutionRunId: d.runId }), { firstExecutionRunId: d.runId });
}

type Handle<W extends Workflow> = WorkflowHandleWithFirstExecutionRunId<W>;

export async function startMptSignIn(client: Client, o: StartOptions<MptSignInInput>): Promise<Handle<typeof mptSignIn>> {
  return (await startFlow(client, 'mpt-sign-in', o)) as Handle<typeof mptSignIn>;
}

export async function executeMptSignIn(client: Client, o: StartOptions<MptSignInInput>): Promise<MptSignInResult> {
  return (await startMptSignIn(client, o)).result();
}

export async function startKonturSignIn(client: Client, o: StartOptions<KonturSignInInput>): Promise<Handle<typeof konturSignIn>> {
  return (await startFlow(client, 'kontur-sign-in', o)) as Handle<typeof konturSignIn>;
}

export async function executeKonturSignIn(client: Client, o: StartOptions<KonturSignInInput>): Promise<KonturSignInResult> {
  return (await startKonturSignIn(client, o)).result();
}

/**
 * Use a business id without PII, e.g. `kisc-verify-<your application id>`: never the IIN. A completed
 * verification is final: starting its id again with the same input returns the recorded result (no
 * new charge); with another input it is refused.
 */
export async function startKiscVerifyIdentity(client: Client, o: StartOptions<KiscVerifyIdentityInput>): Promise<Handle<typeof kiscVerifyIdentity>> {
  return (await startFlow(client, 'kisc-verify-identity', o)) as Handle<typeof kiscVerifyIdentity>;
}

export async function executeKiscVerifyIdentity(client: Client, o: StartOptions<KiscVerifyIdentityInput>): Promise<KiscVerifyIdentityResult> {
  return (await startKiscVerifyIdentity(client, o)).result();
}

export async function startKiscReconcile(client: Client, o: StartOptions<KiscReconcileInput>): Promise<Handle<typeof kiscReconcile>> {
  return (await startFlow(client, 'kisc-reconcile', o)) as Handle<typeof kiscReconcile>;
}

export async function executeKiscReconcile(client: Client, o: StartOptions<KiscReconcileInput>): Promise<KiscReconcileResult> {
  return (await startKiscReconcile(client, o)).result();
}

export async function startCipherSign(client: Client, o: StartOptions<CipherSignInput>): Promise<Handle<typeof cipherSign>> {
  return (await startFlow(client, 'cipher-sign', o)) as Handle<typeof cipherSign>;
}

export async function executeCipherSign(client: Client, o: StartOptions<CipherSignInput>): Promise<CipherSignResult> {
  return (await startCipherSign(client, o)).result();
}

export async function startCipherInspectKeyStore(client: Client, o: StartOptions<CipherInspectKeyStoreInput>): Promise<Handle<typeof cipherInspectKeyStore>> {
  return (await startFlow(client, 'cipher-inspect-key-store', o)) as Handle<typeof cipherInspectKeyStore>;
}

export async function executeCipherInspectKeyStore(client: Client, o: StartOptions<CipherInspectKeyStoreInput>): Promise<CipherInspectKeyStoreResult> {
  return (await startCipherInspectKeyStore(client, o)).result();
}

export async function startKpsisIssueCertificate(client: Client, o: StartOptions<KpsisIssueCertificateInput>): Promise<Handle<typeof kpsisIssueCertificate>> {
  return (await startFlow(client, 'kpsis-issue-certificate', o)) as Handle<typeof kpsisIssueCertificate>;
}

export async function executeKpsisIssueCertificate(client: Client, o: StartOptions<KpsisIssueCertificateInput>): Promise<KpsisIssueCertificateResult> {
  return (await startKpsisIssueCertificate(client, o)).result();
}

/**
 * Hands the CA's certificate to a waiting kpsisIssueCertificate flow. Rejected (WorkflowUpdateFailedError,
 * with the reason) when it is for another key or not valid now; the flow then keeps waiting.
 */
export async function submitKpsisCertificate(client: Client, workflowId: string, certificatePem: string): Promise<SubmitIssuedCertificateResult> {
  return client.workflow.getHandle(workflowId).executeUpdate<SubmitIssuedCertificateResult, [string]>(SUBMIT_ISSUED_CERTIFICATE, { args: [certificatePem] });
}
