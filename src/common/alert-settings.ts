// Where the worker's alerts go, read once from the environment when the worker starts (never at the
// first alert): the webhook TRUSTFLOW_ALERT_WEBHOOK_URL (or the deprecated TRUSTFLOW_KPSIS_WEBHOOK_URL)
// and its HMAC key TRUSTFLOW_ALERT_WEBHOOK_SECRET, or the log only. A setting that would make alerts
// silently weaker refuses the start, naming the variable and the fix:
//   - a URL that does not parse, or is not http/https;
//   - a webhook without a secret (alerts anyone could forge), unless TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true
//     says so on purpose (then logged at start);
//   - a secret that is short, a placeholder from the docs or example files, or padded with spaces.
// The secret stays in this object, in memory: never logged, never in a workflow's history.

/**
 * At least 32 characters: the HMAC-SHA256 key is all that stops anyone who can reach the receiver from
 * forging alerts ("nothing to do, renewed"), and RFC 2104 asks for a key no shorter than the hash's
 * output (32 bytes). `openssl rand -hex 32` gives 64 characters; the sandbox makes 32 of base64url.
 */
export const MIN_ALERT_SECRET_LENGTH = 32;

/** Fewer different characters than this is a typed pattern ('aaaa…', '1234…'), not a random key. */
const MIN_DISTINCT_CHARACTERS = 8;

/**
 * The placeholders of the repo's example files and docs (deploy/env/compose.env.example,
 * secrets/*.example: 'change-me', 'change-me-to-…'), and the usual others, in any case.
 */
const PLACEHOLDER =
  /change[-_ ]?me|changeit|replace[-_ ]?me|placeholder|example|your[-_ ]?(webhook[-_ ]?)?secret|^(secret|password|todo|test)$/i;

export const ALERT_ENV = {
  url: 'TRUSTFLOW_ALERT_WEBHOOK_URL',
  legacyUrl: 'TRUSTFLOW_KPSIS_WEBHOOK_URL',
  secret: 'TRUSTFLOW_ALERT_WEBHOOK_SECRET',
  unsigned: 'TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED',
} as const;

export interface AlertWebhookSettings {
  url: string;
  /** The HMAC key; null only when TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true. */
  secret: string | null;
  /** scheme://host[:port] of the URL: what may be logged and reported (no path, no credentials). */
  origin: string;
}

export interface AlertSettings {
  /** null: alerts go to the worker's log only. */
  webhook: AlertWebhookSettings | null;
  /** One line for the start-up log, e.g. "webhook https://alerts.example.com (signed)". */
  summary: string;
  /** Said at start at level warn: unsigned delivery, the deprecated variable. */
  warnings: string[];
}

/** The refusal: every problem at once, each naming its variable and the fix. */
export class AlertSettingsError extends Error {
  override readonly name = 'AlertSettingsError';
  constructor(readonly problems: string[]) {
    super(`alert settings: ${problems.join('; ')}`);
  }
}

/** Log only: what a worker without a webhook uses (and tests that do not look at alerts). */
export const LOG_ONLY_ALERTS: AlertSettings = { webhook: null, summary: 'log only (no TRUSTFLOW_ALERT_WEBHOOK_URL)', warnings: [] };

/**
 * What is wrong with a shared secret set in `variable` (an HMAC or link key), or undefined: white
 * space around it, a placeholder, fewer than MIN_ALERT_SECRET_LENGTH characters, a typed pattern.
 * `fix` says how to make a good one. The value is never quoted back.
 */
export function randomSecretProblem(variable: string, secret: string, fix: string): string | undefined {
  if (secret.trim() !== secret) return `${variable} starts or ends with white space: remove it (the other side checks the exact key)`;
  if (PLACEHOLDER.test(secret)) return `${variable} is a placeholder from the docs or an example file: ${fix}`;
  if (secret.length < MIN_ALERT_SECRET_LENGTH)
    return `${variable} is too short (${secret.length} characters; at least ${MIN_ALERT_SECRET_LENGTH}): ${fix}`;
  if (new Set(secret).size < MIN_DISTINCT_CHARACTERS)
    return `${variable} is not random (fewer than ${MIN_DISTINCT_CHARACTERS} different characters): ${fix}`;
  return undefined;
}

export function alertSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AlertSettings {
  const problems: string[] = [];
  const warnings: string[] = [];

  const unsignedRaw = (env[ALERT_ENV.unsigned] ?? '').trim().toLowerCase();
  let unsigned = false;
  if (['true', '1', 'yes'].includes(unsignedRaw)) unsigned = true;
  else if (!['', 'false', '0', 'no'].includes(unsignedRaw))
    problems.push(`${ALERT_ENV.unsigned} must be true or false (it is set to something else)`);

  let variable: string = ALERT_ENV.url;
  let url = env[ALERT_ENV.url]?.trim() ?? '';
  const legacy = env[ALERT_ENV.legacyUrl]?.trim() ?? '';
  if (!url && legacy) {
    url = legacy;
    variable = ALERT_ENV.legacyUrl;
    warnings.push(`${ALERT_ENV.legacyUrl} is deprecated: set ${ALERT_ENV.url} instead (one webhook for every alert)`);
  } else if (url && legacy && legacy !== url) {
    warnings.push(`${ALERT_ENV.legacyUrl} is ignored: ${ALERT_ENV.url} is set (remove the deprecated variable)`);
  }

  let origin: string | null = null;
  if (url) {
    // The value is not quoted back: a webhook URL often carries its own token in the path (Slack, Teams).
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`${variable} is not a URL: write it in full, e.g. https://alerts.example.com/trustflow`);
    }
    if (parsed && parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      problems.push(`${variable} must be an http:// or https:// URL (it starts with ${parsed.protocol}//)`);
    else if (parsed && !parsed.hostname)
      problems.push(`${variable} has no host: write it in full, e.g. https://alerts.example.com/trustflow`);
    else if (parsed) origin = `${parsed.protocol}//${parsed.host}`;
  }

  const secret = env[ALERT_ENV.secret] ?? '';
  const fix = `set ${ALERT_ENV.secret} to ${MIN_ALERT_SECRET_LENGTH} or more random characters (e.g. openssl rand -hex 32) and give your receiver the same value`;
  if (secret !== '') {
    const problem = randomSecretProblem(ALERT_ENV.secret, secret, fix);
    if (problem) problems.push(problem);
    if (unsigned)
      problems.push(`${ALERT_ENV.unsigned}=true and ${ALERT_ENV.secret} are both set: remove one (signed, or unsigned on purpose)`);
  } else if (url && !unsigned) {
    problems.push(
      `${ALERT_ENV.secret} is empty while ${variable} is set: alerts would go unsigned and anyone could forge them. ${fix[0]!.toUpperCase()}${fix.slice(1)}; or set ${ALERT_ENV.unsigned}=true to send them unsigned on purpose`,
    );
  }

  if (problems.length > 0) throw new AlertSettingsError(problems);
  if (!url || !origin) {
    if (unsigned) warnings.push(`${ALERT_ENV.unsigned}=true has no effect: no webhook is set`);
    return { ...LOG_ONLY_ALERTS, warnings };
  }
  if (unsigned) warnings.push(`alerts are sent UNSIGNED (${ALERT_ENV.unsigned}=true): the receiver cannot tell them from forged ones`);
  return {
    webhook: { url, secret: unsigned ? null : secret, origin },
    summary: `webhook ${origin} (${unsigned ? 'unsigned' : 'signed'}) and the log`,
    warnings,
  };
}
