// The person signer: a signature made by a person in NCALayer on trustflow's signing page, while the
// flow waits (docs/person-signer.md). What the input names is what the signature must satisfy and how
// long to wait; the key itself never reaches trustflow. Pure (zod only): workflow-safe.
import { z } from 'zod';
import { iinProblem } from '../common/iin.js';
import { absolutePath, DurationSchema, strictObject } from './fields.js';

const OID = z
  .string()
  .max(64)
  .regex(/^[0-2](\.(0|[1-9]\d*))+$/, { message: 'must be an object identifier like 1.3.6.1.5.5.7.3.2' });

/** NCALayer's storage names (`allowedStorages` of basics.sign). */
export const NCALAYER_STORAGES = [
  'PKCS12',
  'JKS',
  'AKKaztokenStore',
  'AKKZIDCardStore',
  'AKEToken72KStore',
  'AKEToken5110Store',
  'AKJaCartaStore',
  'AKAKEYStore',
] as const;

export const PersonSignerSpecSchema = strictObject({
  kind: z.literal('person'),
  /**
   * Who is asked, as the page, the status and the alerts say it: a role, not a name ("director",
   * "seller 1042's accountant"). Shown in the Web UI: no personal data.
   */
  role: z
    .string()
    .trim()
    .min(1)
    .max(80)
    .refine((s) => !/\d{12}/.test(s), { message: 'must not contain an IIN or BIN: it is shown in the Web UI; say the role' }),
  /** What the signature must satisfy. At least one of iin and bin. */
  expected: strictObject({
    /** The signer's IIN (12 digits, valid check digit): the certificate subject's serialNumber IIN…. */
    iin: z
      .string()
      .max(12, { message: 'must be exactly 12 digits (an IIN)' })
      .regex(/^\d{12}$/, { message: 'must be exactly 12 digits (an IIN)' })
      .superRefine((v, ctx) => {
        const p = iinProblem(v);
        if (p === 'check_digit') ctx.addIssue({ code: 'custom', message: 'is not a valid IIN: its check digit does not match' });
      })
      .optional(),
    /** The organisation's BIN (12 digits): the certificate subject's OU/organizationIdentifier BIN…. */
    bin: z
      .string()
      .max(12, { message: 'must be exactly 12 digits (a BIN)' })
      .regex(/^\d{12}$/, { message: 'must be exactly 12 digits (a BIN)' })
      .optional(),
    /** Extended key usages the certificate must carry, e.g. ['1.3.6.1.5.5.7.3.2'] (NCA authentication keys). */
    extKeyUsage: z.array(OID).max(8).optional(),
  }).refine((e) => e.iin !== undefined || e.bin !== undefined, {
    message: 'name the signer: give expected.iin, expected.bin or both (any key would do otherwise)',
  }),
  /** PEM file of the CA certificates the signer's certificate must chain to (NCA RK roots and intermediates). */
  caBundle: absolutePath('/etc/trustflow/nca/ca-bundle.pem'),
  /** How long to wait for the person, from the request: past it the flow fails with nothing sent. */
  deadline: DurationSchema.refine((ms) => ms <= 90 * 86_400_000, { message: 'must be at most 90d' }).default(24 * 3_600_000),
  /** The link again, this often, until signed. */
  remindEvery: DurationSchema.refine((ms) => ms >= 1000, { message: 'must be at least 1s' }).default(4 * 3_600_000),
  /**
   * The provider's challenge lifetime: a challenge older than this is replaced by a fresh one before
   * the person signs it (IS MPT's is not published; 5 min on the sandbox).
   */
  challengeTtl: DurationSchema.refine((ms) => ms >= 1000, { message: 'must be at least 1s' }).default(5 * 60_000),
  /** Where the alert sink routes the link: an opaque recipient key and labels for the receiver. */
  notify: strictObject({
    recipient: z.string().trim().min(1).max(200),
    labels: z.record(z.string().max(64), z.string().max(256)).optional(),
  }).optional(),
  /** The page's language for this person (Russian by default; English where a text is missing). */
  locale: z.enum(['ru', 'kk', 'en']).default('ru'),
  /**
   * Test stands: NCALayer offers keys of NCA RK's test CA too (basics.sign signerParams.chain = []).
   * Without it NCALayer offers keys of the production CAs only. The CA bundle still decides.
   */
  ncaTestKeys: z.boolean().default(false),
  /** NCALayer storages the person may choose from; all by default. */
  allowedStorages: z.array(z.enum(NCALAYER_STORAGES)).min(1).optional(),
});
export type PersonSignerSpec = z.output<typeof PersonSignerSpecSchema>;

/**
 * Each replaced challenge and each reminder is about a dozen history events: together at most this
 * many before the deadline keeps a wait well inside one workflow's history (Temporal warns at 10,240
 * events and stops at 51,200).
 */
export const MAX_PERSON_WAKEUPS = 1000;

/**
 * The person signer with its bound across fields: the wait must fit one workflow's history, so
 * deadline / challengeTtl + deadline / remindEvery is at most MAX_PERSON_WAKEUPS.
 */
export const BoundedPersonSignerSpecSchema = PersonSignerSpecSchema.superRefine((v, ctx) => {
  const wakeups = Math.floor(v.deadline / v.challengeTtl) + Math.floor(v.deadline / v.remindEvery);
  if (wakeups > MAX_PERSON_WAKEUPS)
    ctx.addIssue({
      code: 'custom',
      path: ['deadline'],
      message: `the wait would replace the challenge ${Math.floor(v.deadline / v.challengeTtl)} times and remind ${Math.floor(v.deadline / v.remindEvery)} times, more than ${MAX_PERSON_WAKEUPS} in all (each is history): shorten deadline, or raise challengeTtl or remindEvery`,
    });
});
