// The one alert shape every trustflow alert has (credential watches, KPSIS's pending-CA reminders):
// the JSON body POSTed to TRUSTFLOW_ALERT_WEBHOOK_URL, signed with HMAC-SHA256 over the exact body
// bytes in `X-Trustflow-Signature: sha256=<hex>` with TRUSTFLOW_ALERT_WEBHOOK_SECRET (the worker refuses
// to start without one unless TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true: common/alert-settings.ts). Receivers
// dedupe on `alertId`: a redelivery (a worker that died mid-delivery) carries the same id and body.
// No secret and no personal data: the credential id, labels, and of the certificate its subject's
// organisation, issuer and serial number only. Pure: workflow-safe.
import type { CredentialKind } from './credential-kind.js';

export const ALERT_SIGNATURE_HEADER = 'x-trustflow-signature';
export const ALERT_ID_HEADER = 'x-trustflow-alert-id';

export type AlertEvent =
  /** A tier of the ladder reached (tier: '30d', '14d', ...). */
  | 'credential.expiring'
  /** notAfter passed (tier: 'expired'). */
  | 'credential.expired'
  /** The renewal point passed and renewing is a person's job (tier: 'renewal-due'). */
  | 'credential.renewal-due'
  /** The watch started a KPSIS issuance: the CA step is a person's (tier: 'renewal-started-<n>'). */
  | 'credential.renewal-started'
  /** That issuance failed or timed out (tier: 'renewal-failed-<n>'). */
  | 'credential.renewal-failed'
  /** The credential holds a new certificate: the old one's episode is closed (tier: 'renewed'). */
  | 'credential.renewed'
  /** The credential could not be checked: missing file, wrong password, service down (tier: 'unreadable-<n>'). */
  | 'credential.unreadable'
  /** A certificate's notBefore is still ahead: every flow refuses it until then (tier: 'not-yet-valid'). */
  | 'credential.not-yet-valid'
  /** `trustflow credentials test-alert`: nothing to do (credentialId 'test', kind null, tier 'test'). */
  | 'credential.test'
  /** A KPSIS certificate request is still with the CA (tier: 'ca-pending-<n>'). */
  | 'kpsis.certificate.pending'
  /** A flow waits for a person's signature: `signing` carries the link to send them (tier: 'signing-requested'). */
  | 'signing.requested'
  /** Still waiting: the same request, the link again (tier: 'signing-reminder-<n>'). */
  | 'signing.reminder';

export interface AlertCertificate {
  /** leaf: the credential's own certificate; chain: a CA certificate it depends on. */
  role: 'leaf' | 'chain';
  /** The subject's organisation (O), the only part of a subject an alert carries. */
  organization: string | null;
  /** The issuing CA's name. */
  issuer: string | null;
  serialNumber: string | null;
}

export interface TrustflowAlert {
  /** Stable per (credential, certificate, tier): the idempotency key receivers dedupe on. */
  alertId: string;
  event: AlertEvent;
  credentialId: string;
  /** null only for `credential.test`. */
  kind: CredentialKind | null;
  tier: string;
  notAfter: string | null;
  /** Whole days from createdAt to notAfter, negative when expired. */
  daysLeft: number | null;
  /** What to do, in one or two sentences. */
  action: string;
  certificate: AlertCertificate | null;
  labels: Record<string, string>;
  /** One line for chat receivers (Slack's and Teams' incoming webhooks show `text`). */
  text: string;
  /** When the alert was decided (workflow time): the same for every delivery attempt. */
  createdAt: string;
  /**
   * signing.* only: the capability link for the person and whom to send it to. The link is a secret
   * (whoever holds it may sign for the request): it goes to the webhook only, never to the log.
   */
  signing?: AlertSigningRequest;
}

export interface AlertSigningRequest {
  /** The page link, `<page>/sign#<token>`; "(sent to the webhook)" in the log's copy. */
  link: string;
  /** The role asked to sign (never a name). */
  role: string;
  /** The receiver's routing key for the person, from the flow's input (signer.notify.recipient). */
  recipient: string | null;
  service: string;
  purpose: string;
  /** SHA-256 (hex) of the data to sign, as the page shows it. */
  dataSha256: string;
  requestedAt: string;
  /** Past this the link is dead and the flow fails. */
  deadline: string;
}

/** What `trustflow credentials test-alert` reports: one test alert through the worker's own sink. */
export interface AlertTestOutcome {
  alertId: string;
  /** Taken by the sink: the webhook answered 2xx (or, with no webhook configured, written to the log). */
  delivered: boolean;
  via: 'webhook' | 'log';
  /** Whether it carried X-Trustflow-Signature (the worker's secret). */
  signed: boolean;
  /** scheme://host[:port] of the webhook, never its path or credentials; null for the log. */
  host: string | null;
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  /** Why it was not delivered (no secret, no URL path). */
  error: string | null;
  /** Delivery attempts made (the policy table's short retry). */
  attempts: number;
}
