// credentialWatch: the durable state of one credential of the inventory (id workflowIds.credentialWatch).
// It lives as long as the entry does and does nothing on its own: `apply` starts it with its first
// `check` (update-with-start), the schedule's credentialsCheck (and `trustflow credentials scan`) send
// `check`, `apply` sends `reconfigure` / `retire`, an operator `acknowledge`. A check:
//   read the certificates (files on the worker; a Cipher container through cipherInspectKeyStore)
//   → a new leaf closes the old episode with one `renewed` notice and starts a fresh ladder
//   → per certificate, the most urgent tier reached and not yet sent (30d … 1d, expired) is alerted
//   → at the leaf's renewal point: KPSIS with `renewal` starts exactly one kpsisIssueCertificate
//     (id per attempt, a child that outlives the watch), everything else escalates once
//   → a renewal's certificate arrives: the credential moves to the new artifacts (and `current` link).
// An alert is marked sent only once delivered; one that could not be delivered is sent again at the
// next check under the same alertId and body (the status counts them, with the last delivery error).
// Checks run one at a time. The state is carried across continue-as-new (before the history grows
// large, after running handlers finish), and across removal: a retired watch returns its state, and
// the watch a later `apply` starts for the same id takes it over (`previous`), so the same certificate
// is not alerted again and an `ack` holds until the certificate changes.
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  executeChild,
  allHandlersFinished,
  log,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { AlertEvent, TrustflowAlert } from '../../contracts/alert.js';
import type { CredentialEntry } from './inventory.contract.js';
import {
  ACKNOWLEDGE_UPDATE,
  CHECK_UPDATE,
  type AlertDeliveryError,
  CREDENTIAL_STATUS_QUERY,
  CREDENTIAL_WATCH,
  RECONFIGURE_UPDATE,
  RETIRE_UPDATE,
  type AcknowledgeRequest,
  type CredentialConfig,
  type CredentialInspection,
  type CredentialState,
  type CredentialStatus,
  type InspectedCertificate,
} from './credential-watch.contract.js';
import type { KeyUsageSummary } from '../../contracts/cipher-endpoint.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { activities } from '../activity-proxies.js';
import { cipherInspectKeyStore } from '../cipher/cipher-inspect-key-store.workflow.js';
import { daysLeft, EXPIRED, renewalPointMs, tierOf, urgency } from './credential-ladder.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import { kpsisIssueCertificate } from '../kpsis/kpsis-issue-certificate.workflow.js';

const { alertDeliver, credentialInspect, credentialRenewalStatus, credentialPromoteArtifacts } = activities;

export const checkUpdate = defineUpdate<CredentialStatus, []>(CHECK_UPDATE);
export const acknowledgeUpdate = defineUpdate<CredentialStatus, [AcknowledgeRequest]>(ACKNOWLEDGE_UPDATE);
export const reconfigureUpdate = defineUpdate<CredentialStatus, [CredentialConfig]>(RECONFIGURE_UPDATE);
export const retireUpdate = defineUpdate<CredentialStatus, []>(RETIRE_UPDATE);
export const credentialStatusQuery = defineQuery<CredentialStatus>(CREDENTIAL_STATUS_QUERY);

type WatchedCertificate = InspectedCertificate & { tiersSent: string[] };

interface Renewal {
  attempt: number;
  workflowId: string;
  artifactsDir: string;
  /** The leaf this renewal replaces. */
  forCertificate: string;
  state: 'running' | 'failed' | 'issued';
  failures: number;
  /** After a failure: when the next attempt may start (ms, workflow time). */
  retryAt: number | null;
}

/** Everything a watch knows; carried whole into the next run at continue-as-new. */
export interface WatchState {
  config: CredentialConfig;
  /** kpsis-certificate: the artifacts in use (the entry's, until a renewal replaces them). */
  artifactsDir: string | null;
  certificates: WatchedCertificate[];
  leafId: string | null;
  /** Episodes of certificates no longer held: kept so a file put back does not alert again. */
  closed: WatchedCertificate[];
  unreadable: { episode: number; reason: string; sent: boolean } | null;
  unreadableEpisodes: number;
  acknowledged: { at: string; note: string | null; leafId: string | null } | null;
  renewal: Renewal | null;
  serviceWarnings: string[];
  /** Decided but not yet delivered (the sink was down): sent again at the next check. */
  undelivered: { alert: TrustflowAlert; certificateId: string | null }[];
  /** The last time the sink did not take an alert (kept, with its time, after later successes). */
  lastDeliveryError: AlertDeliveryError | null;
  checks: number;
  alertsSent: number;
  lastCheckAt: string | null;
  lastError: string | null;
  retired: boolean;
}

export interface CredentialWatchInput {
  config: CredentialConfig;
  /** Set by continue-as-new only. */
  state?: WatchState;
  /** The final state of this credential's retired watch, when `apply` adds it back (its `carry`). */
  previous?: WatchState;
  /** Continue-as-new past this many history events (default 2000; tests use fewer). */
  historyLimit?: number;
}

/** What a retired watch returns: its status, and the whole state a watch started later for the same id takes over. */
export type CredentialWatchResult = CredentialStatus & { carry?: WatchState };

const CLOSED_KEPT = 20;
const NOT_YET_VALID = 'not-yet-valid';
const NOT_YET_VALID_PATCH = 'credential-watch-not-yet-valid-alert';

function freshState(config: CredentialConfig): WatchState {
  return {
    config,
    artifactsDir: config.entry.kind === 'kpsis-certificate' ? config.entry.artifactsDir : null,
    certificates: [],
    leafId: null,
    closed: [],
    unreadable: null,
    unreadableEpisodes: 0,
    acknowledged: null,
    renewal: null,
    serviceWarnings: [],
    undelivered: [],
    lastDeliveryError: null,
    checks: 0,
    alertsSent: 0,
    lastCheckAt: null,
    lastError: null,
    retired: false,
  };
}

/**
 * The state a run starts from: carried by continue-as-new, or taken over from a retired watch of the
 * same id (everything it knew and sent, under the entry as applied now), or fresh. States written by
 * older versions get the fields added since.
 */
function initialState(input: CredentialWatchInput): WatchState {
  if (input.state) return { ...freshState(input.config), ...input.state };
  const prev = input.previous;
  if (!prev || prev.config?.entry?.id !== input.config.entry.id) return freshState(input.config);
  const s: WatchState = { ...freshState(input.config), ...prev, config: input.config, retired: false };
  // As for reconfigure: the entry now names other artifacts than it did when retired: they win.
  const before = prev.config.entry;
  const now = input.config.entry;
  if (now.kind !== 'kpsis-certificate') s.artifactsDir = null;
  else if (before.kind !== 'kpsis-certificate' || before.artifactsDir !== now.artifactsDir) s.artifactsDir = now.artifactsDir;
  return s;
}

export async function credentialWatch(input: CredentialWatchInput): Promise<CredentialWatchResult> {
  const s = initialState(input);
  const historyLimit = input.historyLimit ?? 2000;
  let checking = false;

  /** One check at a time: a repeated or duplicated check waits, then finds its alerts already sent. */
  const serially = async <T>(fn: () => Promise<T>): Promise<T> => {
    await condition(() => !checking);
    checking = true;
    try {
      return await fn();
    } finally {
      checking = false;
    }
  };

  setHandler(credentialStatusQuery, () => statusOf(s));
  setHandler(checkUpdate, () => serially(() => check(s)), { validator: () => assertNotRetired(s) });
  setHandler(acknowledgeUpdate, (req) => acknowledge(s, req), { validator: (_req) => assertNotRetired(s) });
  setHandler(reconfigureUpdate, (config) => serially(() => reconfigure(s, config)), {
    validator: (config) => {
      assertNotRetired(s);
      if (config?.entry?.id !== s.config.entry.id) throw new Error(`this watch is ${s.config.entry.id}, not ${String(config?.entry?.id)}`);
    },
  });
  setHandler(retireUpdate, () =>
    serially(async () => {
      s.retired = true;
      publish(s);
      return statusOf(s);
    }),
  );

  publish(s);

  await condition(() => s.retired || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit);
  await condition(allHandlersFinished);
  // The whole state goes with the result: apply hands it to the watch it starts if the entry comes back.
  if (s.retired) return { ...statusOf(s), carry: s };
  return continueAsNew<typeof credentialWatch>({ config: s.config, state: s, historyLimit });
}

function assertNotRetired(s: WatchState): void {
  if (s.retired) throw new Error(`credential ${s.config.entry.id} was retired (removed from the inventory)`);
}

async function reconfigure(s: WatchState, config: CredentialConfig): Promise<CredentialStatus> {
  const before = s.config.entry;
  s.config = config;
  // The operator pointed the entry at other artifacts: they win over what a renewal installed.
  if (
    config.entry.kind === 'kpsis-certificate' &&
    (before.kind !== 'kpsis-certificate' || before.artifactsDir !== config.entry.artifactsDir)
  )
    s.artifactsDir = config.entry.artifactsDir;
  return check(s);
}

function acknowledge(s: WatchState, req: AcknowledgeRequest): CredentialStatus {
  s.acknowledged = { at: new Date().toISOString(), note: req?.note ?? null, leafId: s.leafId };
  log.info('credential acknowledged: alerts silenced until its certificate changes', { credentialId: s.config.entry.id });
  publish(s);
  return statusOf(s);
}

// ---------------------------------------------------------------------------------------------
// A check

async function check(s: WatchState): Promise<CredentialStatus> {
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

// ---------------------------------------------------------------------------------------------
// Alerts

function alertOf(s: WatchState, cert: InspectedCertificate | null, tier: string, event: AlertEvent, action: string): TrustflowAlert {
  const { entry } = s.config;
  const now = Date.now();
  const notAfter = cert?.notAfter ?? null;
  const left = notAfter ? daysLeft(Date.parse(notAfter), now) : null;
  const certId = cert ? cert.certificateId.slice(0, 24) : 'credential';
  const what = cert
    ? cert.role === 'leaf'
      ? 'certificate'
      : `CA certificate ${cert.caName ?? `issued by ${cert.issuer ?? 'an unknown CA'}`}`
    : 'credential';
  const when =
    event === 'credential.expired'
      ? `expired on ${notAfter}`
      : event === 'credential.expiring'
        ? `expires ${notAfter} (${left} days left, tier ${tier})`
        : event === 'credential.not-yet-valid'
          ? `is not valid before ${cert?.notBefore}`
          : event.replace('credential.', '').replace('-', ' ');
  return {
    alertId: `${entry.id}/${certId}/${tier}`,
    event,
    credentialId: entry.id,
    kind: entry.kind,
    tier,
    notAfter,
    daysLeft: left,
    action,
    certificate: cert ? { role: cert.role, organization: cert.organization, issuer: cert.issuer, serialNumber: cert.serialNumber } : null,
    labels: entry.labels ?? {},
    text: `[trustflow] ${entry.id} (${entry.kind}): ${what} ${when}. ${action}`,
    createdAt: new Date(now).toISOString(),
  };
}

/**
 * Sends an alert the watch has decided on, and records the decision (the tier on `cert`): an alert is
 * decided once, ever. One the sink would not take is queued and sent again at the next check, under
 * the same alertId and body.
 */
async function deliver(s: WatchState, alert: TrustflowAlert, cert: WatchedCertificate | null): Promise<void> {
  if (cert && !cert.tiersSent.includes(alert.tier)) cert.tiersSent.push(alert.tier);
  try {
    await alertDeliver(alert);
    s.alertsSent += 1;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const reason = deliveryFailed(s, err);
    log.warn('alert not delivered; sent again at the next check', { alertId: alert.alertId, reason });
    if (!s.undelivered.some((u) => u.alert.alertId === alert.alertId))
      s.undelivered.push({ alert, certificateId: cert?.certificateId ?? null });
  }
}

/** Alerts a down sink could not take: sent again, same id and body. */
async function redeliver(s: WatchState): Promise<void> {
  const pending = s.undelivered;
  s.undelivered = [];
  for (const queued of pending) {
    try {
      await alertDeliver(queued.alert);
      s.alertsSent += 1;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      deliveryFailed(s, err);
      s.undelivered.push(queued);
    }
  }
}

/** Records why the sink did not take an alert (the activity's message: status or network error, no secret). */
function deliveryFailed(s: WatchState, err: ActivityFailure): string {
  const message = rootApplicationFailure(err)?.message ?? err.cause?.message ?? err.message;
  s.lastDeliveryError = { message, at: new Date().toISOString() };
  return message;
}

function notYetValid(cert: InspectedCertificate, now: number): boolean {
  return cert.notBefore !== null && Date.parse(cert.notBefore) > now;
}

/** A certificate that is not valid yet: the clock, an early install, or the wrong file. */
const NOT_YET_VALID_ACTION =
  "every flow refuses it until then: if that time has passed, the worker's clock is behind (fix its time sync); if it was installed early, put the current one back or wait until then; if it is the wrong file, replace it; then run trustflow credentials scan";

/** What a person does about this certificate, per kind. */
function actionFor(s: WatchState, cert: InspectedCertificate): string {
  const { entry } = s.config;
  const issuer = cert.issuer ?? 'the issuing CA';
  if (cert.role === 'chain' && entry.kind !== 'cipher-container')
    return `the CA certificate ${cert.caName ?? `issued by ${issuer}`} in this credential's chain expires: get the CA's new certificate, update the file, then run trustflow credentials scan; everything it issued stops validating when it expires`;
  switch (entry.kind) {
    case 'mtls':
      return 'renew the TLS key with the KISC CA: initial keys live 14 days and must be extended to a year (write to supportca@kisc.kz); replace the .p12 in place, then run trustflow credentials scan';
    case 'cipher-container': {
      const says = s.serviceWarnings.length ? ` Cipher says: "${s.serviceWarnings.join('" / "')}"` : '';
      return `get new keys at your key certification centre (${issuer}) and replace the key container (Cipher's key-change dialog is not documented, so trustflow does not start it).${says}`;
    }
    case 'kpsis-certificate':
      return entry.renewal
        ? `the automatic renewal has not produced a certificate yet: see trustflow credentials list for its flow and submit the CA's certificate with trustflow kpsis submit-cert`
        : 'start a kpsisIssueCertificate for a new key (or add renewal: to the inventory entry so the watch does it), hand the request to the CA (NCES), then point artifactsDir at the new set';
    default:
      return `renew with ${issuer}: obtain a new certificate (and key), replace the file in place, then run trustflow credentials scan`;
  }
}

// ---------------------------------------------------------------------------------------------
// Status

function stateOf(s: WatchState, now: number): CredentialState {
  if (s.retired) return 'retired';
  if (s.lastError) return 'unreadable';
  if (s.checks === 0 || s.certificates.length === 0) return 'unchecked';
  const ladder = s.config.policy.alertLadder;
  const tiers = s.certificates.map((c) => tierOf(Date.parse(c.notAfter), now, ladder));
  if (tiers.includes(EXPIRED)) return 'expired';
  if (s.certificates.some((c) => notYetValid(c, now))) return 'not-yet-valid';
  if (s.renewal?.state === 'running') return 'renewing';
  if (tiers.some((t) => t !== null)) return 'expiring';
  const leaf = s.certificates.find((c) => c.certificateId === s.leafId);
  if (leaf?.notBefore && now >= renewalPointMs(leaf.certificateId, Date.parse(leaf.notBefore), Date.parse(leaf.notAfter), s.config.policy))
    return 'renewal-due';
  return 'ok';
}

function statusOf(s: WatchState): CredentialStatus {
  const now = Date.now();
  const { entry, policy, configHash } = s.config;
  const first = [...s.certificates].sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))[0] ?? null;
  const leaf = s.certificates.find((c) => c.certificateId === s.leafId) ?? null;
  const renewAt = leaf?.notBefore
    ? new Date(renewalPointMs(leaf.certificateId, Date.parse(leaf.notBefore), Date.parse(leaf.notAfter), policy)).toISOString()
    : null;
  const state = stateOf(s, now);
  return {
    id: entry.id,
    kind: entry.kind,
    owner: entry.owner ?? null,
    labels: entry.labels ?? {},
    state,
    notAfter: first?.notAfter ?? null,
    daysLeft: first ? daysLeft(Date.parse(first.notAfter), now) : null,
    expiresFirst: first
      ? first.role === 'leaf'
        ? `leaf (${first.source})`
        : `chain: ${first.caName ?? first.issuer ?? first.source}`
      : null,
    renewAt,
    nextAction: nextActionOf(s, state, first, renewAt),
    lastCheckAt: s.lastCheckAt,
    lastError: s.lastError,
    checks: s.checks,
    alertsSent: s.alertsSent,
    undelivered: s.undelivered.length,
    lastDeliveryError: s.lastDeliveryError,
    configHash,
    certificates: s.certificates,
    renewal: s.renewal
      ? { workflowId: s.renewal.workflowId, attempt: s.renewal.attempt, artifactsDir: s.renewal.artifactsDir, state: s.renewal.state }
      : null,
    acknowledged: s.acknowledged ? { at: s.acknowledged.at, note: s.acknowledged.note } : null,
  };
}

function nextActionOf(s: WatchState, state: CredentialState, first: WatchedCertificate | null, renewAt: string | null): string {
  const autoRenews = s.config.entry.kind === 'kpsis-certificate' && s.config.entry.renewal !== undefined;
  switch (state) {
    case 'retired':
      return 'none: removed from the inventory';
    case 'unchecked':
      return 'waiting for the first check (trustflow credentials scan)';
    case 'unreadable':
      return `fix: ${s.lastError}`;
    case 'not-yet-valid': {
      const early = s.certificates.find((c) => notYetValid(c, Date.now()));
      const what = early?.role === 'chain' ? `the CA certificate ${early.caName ?? early.issuer ?? ''}` : 'the certificate';
      return `${s.acknowledged ? '(acknowledged) ' : ''}${what} is not valid before ${early?.notBefore}: ${NOT_YET_VALID_ACTION}`;
    }
    case 'renewing':
      return `submit the CA's certificate: trustflow kpsis submit-cert --workflow-id ${s.renewal!.workflowId} --cert FILE (request in ${s.renewal!.artifactsDir})`;
    case 'ok':
      return autoRenews
        ? `renews itself from ${renewAt}`
        : `renewal due ${renewAt ?? 'before expiry'}; alerts from ${first ? new Date(Date.parse(first.notAfter) - Math.max(...s.config.policy.alertLadder)).toISOString() : '-'}`;
    default:
      return (s.acknowledged ? '(acknowledged) ' : '') + (first ? actionFor(s, first) : '');
  }
}

/** Search attributes for the Web UI: flow, kind, state, earliest notAfter. */
function publish(s: WatchState): void {
  const status = statusOf(s);
  upsertSearchAttributes([
    { key: searchAttributes.flow, value: CREDENTIAL_WATCH },
    { key: searchAttributes.credentialKind, value: s.config.entry.kind },
    { key: searchAttributes.credentialState, value: status.state },
    ...(status.notAfter ? [{ key: searchAttributes.credentialNotAfter, value: new Date(status.notAfter) }] : []),
  ]);
}
