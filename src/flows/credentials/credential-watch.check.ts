// The credential watch's check: read the certificates, walk the alert ladder, start or follow a
// renewal at the leaf's renewal point. Runs inside the watch (credential-watch.workflow.ts), one at a time.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, executeChild, log, patched, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AlertEvent } from '../../contracts/alert.js';
import type { CredentialEntry } from './inventory.contract.js';
import type { CredentialInspection, CredentialStatus, InspectedCertificate } from './credential-watch.contract.js';
import type { KeyUsageSummary } from '../../contracts/cipher-endpoint.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { cipherInspectKeyStore } from '../cipher/cipher-inspect-key-store.workflow.js';
import { EXPIRED, renewalPointMs, tierOf, urgency } from './credential-ladder.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import { kpsisIssueCertificate } from '../kpsis/kpsis-issue-certificate.workflow.js';
import {
  CLOSED_KEPT,
  NOT_YET_VALID,
  NOT_YET_VALID_PATCH,
  type Renewal,
  type WatchedCertificate,
  type WatchState,
} from './credential-watch.state.js';
import { alertOf, deliver, redeliver, notYetValid, NOT_YET_VALID_ACTION, actionFor } from './credential-watch.alerts.js';
import { statusOf, publish } from './credential-watch.status.js';
import { activities } from '../activity-proxies.js';

const { credentialInspect, credentialRenewalStatus, credentialPromoteArtifacts } = activities;

export async function check(s: WatchState): Promise<CredentialStatus> {
  const { entry } = s.config;
  s.checks += 1;
  s.lastCheckAt = new Date().toISOString();

  try {
    await followRenewal(s);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('could not learn how the renewal stands; asking again at the next check', { reason: rootApplicationFailure(err)?.message });
  }

  let inspection: CredentialInspection;
  try {
    inspection = await inspect(s, entry);
  } catch (err) {
    const reason = rootApplicationFailure(err)?.message ?? (err instanceof Error ? err.message : String(err));
    s.lastError = reason;
    if (!s.unreadable) s.unreadable = { episode: ++s.unreadableEpisodes, reason, sent: false };
    if (!s.unreadable.sent) {
      const alert = alertOf(s, null, `unreadable-${s.unreadable.episode}`, 'credential.unreadable', `fix the credential: ${reason}`);
      await deliver(s, alert, null);
      s.unreadable.sent = true;
    }
    await redeliver(s);
    publish(s);
    return statusOf(s);
  }
  s.lastError = null;
  s.unreadable = null;
  s.serviceWarnings = inspection.serviceWarnings;

  // Episodes: keep what was sent for certificates still held; a new leaf closes the old episode.
  const previous = new Map([...s.closed, ...s.certificates].map((c) => [c.certificateId, c]));
  const oldLeaf = s.certificates.find((c) => c.certificateId === s.leafId) ?? null;
  s.certificates = inspection.certificates.map((c) => ({ ...c, tiersSent: previous.get(c.certificateId)?.tiersSent ?? [] }));
  const held = new Set(s.certificates.map((c) => c.certificateId));
  s.closed = [
    ...s.closed.filter((c) => !held.has(c.certificateId)),
    ...[...previous.values()].filter((c) => !held.has(c.certificateId) && !s.closed.includes(c)),
  ].slice(-CLOSED_KEPT);
  const leaf = s.certificates.find((c) => c.role === 'leaf') ?? null;
  s.leafId = leaf?.certificateId ?? null;

  await redeliver(s);

  if (oldLeaf && leaf && oldLeaf.certificateId !== leaf.certificateId && !oldLeaf.tiersSent.includes('renewed')) {
    const alert = alertOf(
      s,
      oldLeaf,
      'renewed',
      'credential.renewed',
      `nothing to do: the credential now holds a certificate valid to ${leaf.notAfter}`,
    );
    await deliver(s, alert, null);
    oldLeaf.tiersSent.push('renewed');
    s.acknowledged = null;
  }
  const silenced = s.acknowledged !== null && s.acknowledged.leafId === s.leafId;

  const now = Date.now();
  const ladder = s.config.policy.alertLadder;
  for (const cert of s.certificates) {
    if (silenced) continue;
    // patched: a history recorded before this alert existed replays without it.
    if (notYetValid(cert, now) && !cert.tiersSent.includes(NOT_YET_VALID) && patched(NOT_YET_VALID_PATCH))
      await deliver(s, alertOf(s, cert, NOT_YET_VALID, 'credential.not-yet-valid', NOT_YET_VALID_ACTION), cert);
    const tier = tierOf(Date.parse(cert.notAfter), now, ladder);
    if (tier === null) continue;
    const sentUrgency = Math.max(-1, ...cert.tiersSent.map((t) => urgency(t, ladder)));
    if (urgency(tier, ladder) <= sentUrgency) continue;
    const event: AlertEvent = tier === EXPIRED ? 'credential.expired' : 'credential.expiring';
    await deliver(s, alertOf(s, cert, tier, event, actionFor(s, cert)), cert);
  }

  if (leaf && !silenced) await atRenewalPoint(s, leaf, now);
  publish(s);
  return statusOf(s);
}

async function inspect(s: WatchState, entry: CredentialEntry): Promise<CredentialInspection> {
  if (entry.kind !== 'cipher-container')
    return credentialInspect({ entry, ...(s.artifactsDir && entry.kind === 'kpsis-certificate' ? { artifactsDir: s.artifactsDir } : {}) });
  const { id: _id, kind: _kind, owner: _owner, labels: _labels, policy: _policy, ...cipherInput } = entry;
  try {
    const r = await executeChild(cipherInspectKeyStore, {
      workflowId: workflowIds.credentialInspection(entry.id, s.checks),
      args: [cipherInput],
    });
    const certificates = [cipherCertificate(r.signature, 'signature key'), cipherCertificate(r.keyAgreement, 'key-agreement key')].filter(
      (c): c is InspectedCertificate => c !== null,
    );
    if (certificates.length === 0)
      throw ApplicationFailure.nonRetryable('the key container holds no usable key with a certificate', 'KeyStoreUnreadable');
    if (certificates[0]!.role !== 'leaf') certificates[0]!.role = 'leaf';
    return { certificates, serviceWarnings: r.warnings };
  } catch (err) {
    if (err instanceof ChildWorkflowFailure && err.cause) throw err.cause;
    throw err;
  }
}

function cipherCertificate(k: KeyUsageSummary, source: string): InspectedCertificate | null {
  const c = k.certificate;
  if (k.state === 'absent' || !c?.notAfter) return null;
  return {
    certificateId: `sn-${(c.serialNumber ?? 'unknown').toLowerCase()}`,
    role: source === 'signature key' ? 'leaf' : 'chain',
    source,
    organization: c.organization,
    caName: null,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
  };
}

/** At the leaf's renewal point: KPSIS with `renewal` issues a new key and request; every other kind escalates once. */
async function atRenewalPoint(s: WatchState, leaf: WatchedCertificate, now: number): Promise<void> {
  if (!leaf.notBefore || now < renewalPointMs(leaf.certificateId, Date.parse(leaf.notBefore), Date.parse(leaf.notAfter), s.config.policy))
    return;
  const { entry } = s.config;
  if (entry.kind !== 'kpsis-certificate' || !entry.renewal) {
    if (leaf.tiersSent.includes('renewal-due')) return;
    await deliver(s, alertOf(s, leaf, 'renewal-due', 'credential.renewal-due', actionFor(s, leaf)), leaf);
    return;
  }
  const r = s.renewal;
  if (r && r.forCertificate === leaf.certificateId && (r.state !== 'failed' || (r.retryAt !== null && now < r.retryAt))) return;
  const attempt = (r?.attempt ?? 0) + 1;
  const renewal: Renewal = {
    attempt,
    workflowId: workflowIds.credentialRenewal(entry.id, attempt),
    artifactsDir: `${entry.renewal.artifactsRoot.replace(/\/$/, '')}/renewal-${attempt}`,
    forCertificate: leaf.certificateId,
    state: 'running',
    failures: r?.forCertificate === leaf.certificateId ? r.failures : 0,
    retryAt: null,
  };
  s.renewal = renewal;
  try {
    // A child that outlives the watch (ABANDON): its start is recorded here, so a replay or a
    // restarted worker never starts a second one; the id per attempt makes a duplicate impossible.
    await startChild(kpsisIssueCertificate, {
      workflowId: renewal.workflowId,
      args: [{ ...entry.renewal.issue, artifactsDir: renewal.artifactsDir } as Parameters<typeof kpsisIssueCertificate>[0]],
      parentClosePolicy: 'ABANDON',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.warn('renewal issuance already started', { workflowId: renewal.workflowId });
  }
  await deliver(
    s,
    alertOf(
      s,
      leaf,
      `renewal-started-${attempt}`,
      'credential.renewal-started',
      `a new KPSIS key and certificate request were made (${renewal.workflowId}; files: trustflow credentials list): hand cert_req.req to the CA (NCES), then run trustflow kpsis submit-cert --workflow-id ${renewal.workflowId} --cert FILE`,
    ),
    null,
  );
}

/** A running renewal: issued → move to its artifacts; failed → escalate, and try again after a backoff. */
async function followRenewal(s: WatchState): Promise<void> {
  const r = s.renewal;
  const { entry } = s.config;
  if (!r || r.state !== 'running' || entry.kind !== 'kpsis-certificate' || !entry.renewal) return;
  const { state, reason } = await credentialRenewalStatus({ workflowId: r.workflowId, artifactsDir: r.artifactsDir });
  if (state === 'running') return;
  if (state === 'issued') {
    await credentialPromoteArtifacts({ artifactsRoot: entry.renewal.artifactsRoot, artifactsDir: r.artifactsDir });
    r.state = 'issued';
    s.artifactsDir = r.artifactsDir; // the old set stays on disk until it expires
    return;
  }
  r.state = 'failed';
  r.failures += 1;
  const { renewalRetryAfter, renewalRetryMax } = s.config.policy;
  r.retryAt = Date.now() + Math.min(renewalRetryAfter * 2 ** (r.failures - 1), renewalRetryMax);
  const leaf = s.certificates.find((c) => c.certificateId === r.forCertificate) ?? null;
  await deliver(
    s,
    alertOf(
      s,
      leaf,
      `renewal-failed-${r.attempt}`,
      'credential.renewal-failed',
      `the renewal ${r.workflowId} failed (${reason}); a new attempt starts after ${new Date(r.retryAt).toISOString()}: check the KPSIS service and its passwords`,
    ),
    null,
  );
}
