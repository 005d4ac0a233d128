// Typed start/execute helpers for other services, over one registry of flows.
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { z } from 'zod';
import {
  describeInputIssues,
  MPT_SIGN_IN,
  MptSignInInputSchema,
  type MptSignInInput,
  type MptSignInResult,
} from '../common/contracts/mpt-sign-in.js';
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
import { InvalidInputError } from '../common/errors.js';
import { temporalSettingsFromEnv } from '../common/env.js';
import type { cipherInspectKeyStore } from '../workflows/cipher-inspect-key-store.js';
import type { cipherSign } from '../workflows/cipher-sign.js';
import type { kiscReconcile } from '../workflows/kisc-reconcile.js';
import type { kpsisIssueCertificate } from '../workflows/kpsis-issue-certificate.js';
import type { kiscVerifyIdentity } from '../workflows/kisc-verify-identity.js';
import type { konturSignIn } from '../workflows/kontur-sign-in.js';
import type { mptSignIn } from '../workflows/mpt-sign-in.js';

/** Every flow by its CLI name: workflow type and input schema. */
export const flows = {
  'mpt-sign-in': { workflowType: MPT_SIGN_IN, inputSchema: MptSignInInputSchema },
  'kontur-sign-in': { workflowType: KONTUR_SIGN_IN, inputSchema: KonturSignInInputSchema },
  'kisc-verify-identity': { workflowType: KISC_VERIFY_IDENTITY, inputSchema: KiscVerifyIdentityInputSchema },
  'kisc-reconcile': { workflowType: KISC_RECONCILE, inputSchema: KiscReconcileInputSchema },
  'cipher-sign': { workflowType: CIPHER_SIGN, inputSchema: CipherSignInputSchema },
  'cipher-inspect-key-store': { workflowType: CIPHER_INSPECT_KEY_STORE, inputSchema: CipherInspectKeyStoreInputSchema },
  'kpsis-issue-certificate': { workflowType: KPSIS_ISSUE_CERTIFICATE, inputSchema: KpsisIssueCertificateInputSchema },
} as const satisfies Record<string, { workflowType: string; inputSchema: z.ZodType }>;
export type FlowName = keyof typeof flows;

export interface StartOptions<I> {
  /** Your business id (e.g. `mpt-token-<BIN>`): a second start with the same id joins the running flow. */
  workflowId: string;
  input: I;
  taskQueue?: string;
}

/**
 * Validates the input (fails fast with what is wrong and how to fix it), then starts the flow.
 * Starting again with the ID of a running flow returns that flow (conflict policy USE_EXISTING).
 */
export async function startFlow(client: Client, flow: FlowName, o: StartOptions<unknown>): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const { workflowType, inputSchema } = flows[flow];
  const parsed = inputSchema.safeParse(o.input);
  if (!parsed.success) throw new InvalidInputError(`invalid ${workflowType} input: ${describeInputIssues(parsed.error)}`);
  return client.workflow.start(workflowType, {
    taskQueue: o.taskQueue ?? temporalSettingsFromEnv().taskQueue,
    workflowId: o.workflowId,
    args: [parsed.data],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

export async function startMptSignIn(client: Client, o: StartOptions<MptSignInInput>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof mptSignIn>> {
  return (await startFlow(client, 'mpt-sign-in', o)) as WorkflowHandleWithFirstExecutionRunId<typeof mptSignIn>;
}

export async function executeMptSignIn(client: Client, o: StartOptions<MptSignInInput>): Promise<MptSignInResult> {
  return (await startMptSignIn(client, o)).result();
}

export async function startKonturSignIn(client: Client, o: StartOptions<KonturSignInInput>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof konturSignIn>> {
  return (await startFlow(client, 'kontur-sign-in', o)) as WorkflowHandleWithFirstExecutionRunId<typeof konturSignIn>;
}

export async function executeKonturSignIn(client: Client, o: StartOptions<KonturSignInInput>): Promise<KonturSignInResult> {
  return (await startKonturSignIn(client, o)).result();
}

/** Use a business id without PII, e.g. `kisc-verify-<your application id>`: never the IIN. */
export async function startKiscVerifyIdentity(client: Client, o: StartOptions<KiscVerifyIdentityInput>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof kiscVerifyIdentity>> {
  return (await startFlow(client, 'kisc-verify-identity', o)) as WorkflowHandleWithFirstExecutionRunId<typeof kiscVerifyIdentity>;
}

export async function executeKiscVerifyIdentity(client: Client, o: StartOptions<KiscVerifyIdentityInput>): Promise<KiscVerifyIdentityResult> {
  return (await startKiscVerifyIdentity(client, o)).result();
}

export async function startKiscReconcile(client: Client, o: StartOptions<KiscReconcileInput>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof kiscReconcile>> {
  return (await startFlow(client, 'kisc-reconcile', o)) as WorkflowHandleWithFirstExecutionRunId<typeof kiscReconcile>;
}

export async function executeKiscReconcile(client: Client, o: StartOptions<KiscReconcileInput>): Promise<KiscReconcileResult> {
  return (await startKiscReconcile(client, o)).result();
}

export async function startCipherSign(client: Client, o: StartOptions<CipherSignInput>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof cipherSign>> {
  return (await startFlow(client, 'cipher-sign', o)) as WorkflowHandleWithFirstExecutionRunId<typeof cipherSign>;
}

export async function executeCipherSign(client: Client, o: StartOptions<CipherSignInput>): Promise<CipherSignResult> {
  return (await startCipherSign(client, o)).result();
}

export async function startCipherInspectKeyStore(client: Client, o: StartOptions<CipherInspectKeyStoreInput>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof cipherInspectKeyStore>> {
  return (await startFlow(client, 'cipher-inspect-key-store', o)) as WorkflowHandleWithFirstExecutionRunId<typeof cipherInspectKeyStore>;
}

export async function executeCipherInspectKeyStore(client: Client, o: StartOptions<CipherInspectKeyStoreInput>): Promise<CipherInspectKeyStoreResult> {
  return (await startCipherInspectKeyStore(client, o)).result();
}

export async function startKpsisIssueCertificate(client: Client, o: StartOptions<KpsisIssueCertificateInput>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof kpsisIssueCertificate>> {
  return (await startFlow(client, 'kpsis-issue-certificate', o)) as WorkflowHandleWithFirstExecutionRunId<typeof kpsisIssueCertificate>;
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
