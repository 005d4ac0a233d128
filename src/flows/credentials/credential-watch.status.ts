// The credential watch's status: its state for `trustflow credentials list` (the query) and the
// search attributes operators filter on in the Web UI.
import { upsertSearchAttributes } from '@temporalio/workflow';
import { CREDENTIAL_WATCH, type CredentialState, type CredentialStatus } from './credential-watch.contract.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { daysLeft, EXPIRED, renewalPointMs, tierOf } from './credential-ladder.js';
import type { WatchedCertificate, WatchState } from './credential-watch.state.js';
import { notYetValid, NOT_YET_VALID_ACTION, actionFor } from './credential-watch.alerts.js';

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

export function statusOf(s: WatchState): CredentialStatus {
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
export function publish(s: WatchState): void {
  const status = statusOf(s);
  upsertSearchAttributes([
    { key: searchAttributes.flow, value: CREDENTIAL_WATCH },
    { key: searchAttributes.credentialKind, value: s.config.entry.kind },
    { key: searchAttributes.credentialState, value: status.state },
    ...(status.notAfter ? [{ key: searchAttributes.credentialNotAfter, value: new Date(status.notAfter) }] : []),
  ]);
}
