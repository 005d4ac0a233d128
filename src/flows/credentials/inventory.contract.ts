// The credential inventory: one declarative file (YAML or JSON) naming every key and certificate
// trustflow watches, by reference only (paths, `env:`/`file:` secrets), with its owner, labels and
// optional policy overrides. `trustflow credentials apply FILE` validates it with this schema and
// installs one watch per entry (credential-watch.workflow.ts) and the check schedule. Pure (zod only).
import { z } from 'zod';
import { closestName } from '../../common/closest-name.js';
import { CipherEndpointSchema, KeyStoreRefSchema, TicketPolicySchema } from '../../contracts/cipher-endpoint.js';
import { absolutePath, DurationSchema, formatDuration, providerUrl, SecretRefSchema, strictObject } from '../../contracts/fields.js';
import { KpsisIssueCertificateInputSchema } from '../kpsis/kpsis-issue-certificate.contract.js';
import { MutualTlsSpecSchema } from '../../contracts/mutual-tls-spec.js';
import { CREDENTIAL_KINDS } from '../../contracts/credential-kind.js';

export { CREDENTIAL_KINDS, type CredentialKind } from '../../contracts/credential-kind.js';

/**
 * An operator-chosen name that becomes part of workflow ids, search attributes and alerts: lowercase,
 * and never personal data (no IIN/BIN, phone or passport numbers: runs of 8+ digits are refused).
 */
export const credentialIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, {
    message: "must be 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. 'kisc-tls-prod'",
  })
  .refine((id) => !/\d{8,}/.test(id), {
    message: 'must not carry personal data: a run of 8 or more digits looks like an IIN, BIN or phone number; name the credential instead',
  });

/** Policy: when to renew and when to warn. Every field is optional: the defaults follow. */
export const CredentialPolicySchema = strictObject({
  /** Renewal point as a fraction of the certificate's lifetime (cert-manager and step-ca: 2/3). */
  renewAt: z.number().gt(0).lt(1).optional(),
  /** Up to this fraction of the lifetime earlier, per certificate (deterministic), so a fleet does not renew at once. */
  renewJitter: z.number().min(0).max(0.2).optional(),
  /** Warn this long before expiry, once per certificate and tier, then once when expired. */
  alertLadder: z.array(DurationSchema).min(1).max(12).optional(),
  /** A failed KPSIS renewal is started again after retryAfter × 2^(n-1), at most retryMax (cert-manager: 1h, 32h). */
  renewalRetryAfter: DurationSchema.optional(),
  renewalRetryMax: DurationSchema.optional(),
});
export type CredentialPolicyInput = z.input<typeof CredentialPolicySchema>;

/** A policy with every default filled in, durations in ms: what a watch runs with. */
export interface CredentialPolicy {
  renewAt: number;
  renewJitter: number;
  /** Longest first, e.g. 30d, 14d, 7d, 3d, 1d (ms). */
  alertLadder: number[];
  renewalRetryAfter: number;
  renewalRetryMax: number;
}

const DAY = 86_400_000;
export const DEFAULT_CREDENTIAL_POLICY: CredentialPolicy = {
  renewAt: 2 / 3,
  renewJitter: 0.05,
  alertLadder: [30, 14, 7, 3, 1].map((d) => d * DAY),
  renewalRetryAfter: 3_600_000,
  renewalRetryMax: 32 * 3_600_000,
};

const common = {
  id: credentialIdSchema,
  /** Who acts on this credential's alerts (a team, a mailbox): shown by `credentials list`, not sent in alerts. */
  owner: z.string().min(1).max(200).optional(),
  /** Free labels (e.g. tenant, environment), sent with every alert so receivers can route it. */
  labels: z.record(z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/i), z.string().max(200)).optional(),
  policy: CredentialPolicySchema.optional(),
};

/** A signing key (NCA RK RSA/GOST, Kontur GOST key): every certificate in the file is watched. */
const Pkcs12Credential = strictObject({
  ...common,
  kind: z.literal('pkcs12'),
  file: absolutePath('/etc/trustflow/keys/signing.p12'),
  password: SecretRefSchema,
});

/** A mutual-TLS identity (the KISC TLS key) and the CA bundle it trusts; with baseUrl it is a KISC connection. */
const MtlsCredential = strictObject({
  ...common,
  kind: z.literal('mtls'),
  tls: MutualTlsSpecSchema,
  /** The KISC API root this identity connects to: apply then also installs the daily kiscReconcile. */
  baseUrl: providerUrl('https://online.kisc.kz/identity/1.1.0', { httpsOnly: true }).optional(),
});

/** A certificate file, PEM (one or more certificates, e.g. a CA bundle) or DER. */
const CertificateCredential = strictObject({
  ...common,
  kind: z.literal('certificate'),
  file: absolutePath('/etc/trustflow/ca/root.pem'),
});

/** A Cipher key container, inspected through the Cipher service (cipherInspectKeyStore). */
const CipherContainerCredential = CipherEndpointSchema.extend({
  ...common,
  kind: z.literal('cipher-container'),
  keyStore: KeyStoreRefSchema,
  password: SecretRefSchema,
  ...TicketPolicySchema,
});

/** The artifacts of kpsisIssueCertificate (cert_req.req, key.der, shards, certificate.pem). */
const KpsisCertificateCredential = strictObject({
  ...common,
  kind: z.literal('kpsis-certificate'),
  /** The artifacts in use now: the folder holding certificate.pem and cert_req.req. */
  artifactsDir: absolutePath('/var/lib/trustflow/kpsis/service-a/initial'),
  /** Automatic renewal: without it, the renewal point escalates to a person. */
  renewal: strictObject({
    /** New sets go to <artifactsRoot>/renewal-<n>/; <artifactsRoot>/current links to the set in use. */
    artifactsRoot: absolutePath('/var/lib/trustflow/kpsis/service-a'),
    /** kpsisIssueCertificate's input for the new key and request, without artifactsDir. */
    issue: z.record(z.string(), z.unknown()),
  })
    .superRefine((r, ctx) => {
      if ('artifactsDir' in r.issue)
        ctx.addIssue({
          code: 'custom',
          path: ['issue', 'artifactsDir'],
          message: 'is chosen by the watch (<artifactsRoot>/renewal-<n>): leave it out',
        });
      const parsed = KpsisIssueCertificateInputSchema.safeParse({ ...r.issue, artifactsDir: `${r.artifactsRoot}/renewal-1` });
      if (!parsed.success)
        for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['issue', ...i.path.map(String)], message: i.message });
    })
    .optional(),
});

/**
 * A CryptoPro CSP key container (a Kontur key): the certificates its header stores are watched, read
 * without the password; `certificate` names the certificate file when the container stores none.
 */
const CryptoProContainerCredential = strictObject({
  ...common,
  kind: z.literal('cryptopro-container'),
  path: absolutePath('/etc/trustflow/keys/kontur.000'),
  certificate: absolutePath('/etc/trustflow/keys/kontur.cer').optional(),
});

const ENTRY_SCHEMAS = {
  pkcs12: Pkcs12Credential,
  mtls: MtlsCredential,
  certificate: CertificateCredential,
  'cipher-container': CipherContainerCredential,
  'kpsis-certificate': KpsisCertificateCredential,
  'cryptopro-container': CryptoProContainerCredential,
} as const;

export const CredentialEntrySchema = z.discriminatedUnion('kind', [
  Pkcs12Credential,
  MtlsCredential,
  CertificateCredential,
  CipherContainerCredential,
  KpsisCertificateCredential,
  CryptoProContainerCredential,
]);
export type CredentialEntry = z.output<typeof CredentialEntrySchema>;

export const InventorySchema = strictObject({
  version: z.literal(1, { message: 'must be 1 (the inventory format version)' }),
  /** How often the schedule checks every credential (default 6h), with up to `jitter` of delay (default 30m). */
  checks: strictObject({ every: DurationSchema.optional(), jitter: DurationSchema.optional() }).optional(),
  /** Defaults for every credential; an entry's own `policy` overrides them field by field. */
  policy: CredentialPolicySchema.optional(),
  credentials: z.array(z.unknown()).max(1000),
});

export interface Inventory {
  checks: { every: number; jitter: number };
  credentials: { entry: CredentialEntry; policy: CredentialPolicy }[];
}

export class InventoryError extends Error {
  override readonly name = 'InventoryError';
  constructor(readonly problems: string[]) {
    super(`the inventory is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
  }
}

const where = (path: PropertyKey[]) => (path.length ? path.map(String).join('.') : '(top level)');

/**
 * Validates a parsed inventory file: every problem is reported at once, each naming the entry (its id
 * and position) and the field. Durations become ms and every policy gets its defaults.
 * @throws InventoryError
 */
export function parseInventory(raw: unknown): Inventory {
  const top = InventorySchema.safeParse(raw);
  if (!top.success) throw new InventoryError(top.error.issues.map((i) => `${where(i.path)}: ${i.message}`));
  const problems: string[] = [];
  const credentials: Inventory['credentials'] = [];
  const seen = new Map<string, number>();
  top.data.credentials.forEach((item, index) => {
    const rawId = (item as { id?: unknown } | null)?.id;
    const name = `credentials[${index}]${typeof rawId === 'string' ? ` (id '${rawId}')` : ''}`;
    const kind = (item as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !(kind in ENTRY_SCHEMAS)) {
      const close = typeof kind === 'string' ? closestName(kind, [...CREDENTIAL_KINDS]) : undefined;
      problems.push(
        `${name}.kind: ${typeof kind === 'string' ? `unknown kind '${kind}'` : 'missing'}; one of ${CREDENTIAL_KINDS.join(', ')}` +
          (close ? ` (did you mean '${close}'?)` : ''),
      );
      return;
    }
    const parsed = CredentialEntrySchema.safeParse(item);
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push(`${name}${i.path.length ? `.${where(i.path)}` : ''}: ${i.message}`);
      return;
    }
    const entry = parsed.data;
    const first = seen.get(entry.id);
    if (first !== undefined) problems.push(`${name}.id: '${entry.id}' is already the id of credentials[${first}]: ids must be unique`);
    else seen.set(entry.id, index);
    const policy = { ...DEFAULT_CREDENTIAL_POLICY, ...defined(top.data.policy), ...defined(entry.policy) };
    policy.alertLadder = [...new Set(policy.alertLadder)].sort((a, b) => b - a);
    if (policy.renewalRetryMax < policy.renewalRetryAfter)
      problems.push(
        `${name}.policy.renewalRetryMax: must not be shorter than renewalRetryAfter (${formatDuration(policy.renewalRetryAfter)})`,
      );
    credentials.push({ entry, policy });
  });
  const every = top.data.checks?.every ?? 6 * 3_600_000;
  const jitter = top.data.checks?.jitter ?? Math.min(30 * 60_000, Math.floor(every / 2));
  if (jitter > every) problems.push(`checks.jitter: must not be longer than checks.every (${formatDuration(every)})`);
  if (every < 10_000) problems.push('checks.every: must be at least 10s');
  if (problems.length > 0) throw new InventoryError(problems);
  return { checks: { every, jitter }, credentials };
}

function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
