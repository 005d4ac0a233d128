// Every workflow and schedule id trustflow makes itself, built in one place. Deterministic (the same
// credential always maps to the same watch, so a second `apply` finds it) and free of personal data:
// they are built from operator-chosen credential ids, which the inventory schema checks
// (credentialIdSchema), and dates. Pure: workflow-safe.

/** The prefix of every id trustflow makes, so they are easy to find in the Web UI. */
const P = 'trustflow';

export const workflowIds = {
  /** The long-lived watch of one credential (one per inventory entry). */
  credentialWatch: (credentialId: string) => `${P}-credential/${credentialId}`,
  /** A cipher-container's inspection, started by its watch for check number `check`. */
  credentialInspection: (credentialId: string, check: number) => `${P}-credential/${credentialId}/inspect-${check}`,
  /** The KPSIS issuance a watch starts at a renewal point: one per attempt, never two for the same attempt. */
  credentialRenewal: (credentialId: string, attempt: number) => `${P}-credential/${credentialId}/renewal-${attempt}`,
  /** An on-demand check of every credential (`trustflow credentials scan`). */
  credentialsScan: (at: Date) => `${P}-credentials-scan-${stamp(at)}`,
  /** `trustflow credentials apply`'s check of an inventory on the worker, before anything changes. */
  credentialsPreflight: (at: Date) => `${P}-credentials-preflight-${stamp(at)}`,
  /** `trustflow credentials test-alert`: one test alert through the worker's sink. */
  credentialsTestAlert: (at: Date) => `${P}-credentials-test-alert-${stamp(at)}`,
  /**
   * The token keeper of one participant on one stand: `fingerprint` is the SHA-256 (hex, first 32) of
   * the stand's base URL and the participant's key file path (client/token-keepers.ts), never a name,
   * IIN or token.
   */
  tokenKeeper: (provider: 'ismpt' | 'kontur', fingerprint: string) => `${P}-token/${provider}/${fingerprint}`,
  /** A keeper's sign-in number `seq` (a child: one per refresh that signs in). */
  tokenKeeperSignIn: (keeperId: string, seq: number) => `${keeperId}/sign-in-${seq}`,
  /** The later deletion of a Cipher ticket its flow could not delete (the ticket id is Cipher's random UUID). */
  cipherTicketCleanup: (ticket: string) => `${P}-cipher-ticket-cleanup/${ticket}`,
  /** One day's KISC reconciliation for the connection of an `mtls` credential (day: YYYY-MM-DD). */
  kiscReconcileDay: (credentialId: string, day: string) => `${P}-kisc-reconcile/${credentialId}/${day}`,
} as const;

export const scheduleIds = {
  /** The one schedule that checks every credential of the inventory. */
  credentialsCheck: `${P}-credentials-check`,
  /** The daily kiscReconcile of the KISC connection an `mtls` credential names. */
  kiscReconcile: (credentialId: string) => `${P}-kisc-reconcile/${credentialId}`,
  /** Every schedule id apply may have made for kiscReconcile starts with this. */
  kiscReconcilePrefix: `${P}-kisc-reconcile/`,
} as const;

/** 2026-12-01T10:20:30.123Z → 20261201T102030123Z */
function stamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}
