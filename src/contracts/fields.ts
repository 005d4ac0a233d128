// The field rules every workflow input repeats, in one place: strict objects (an unknown key is an
// error that names the closest known key: a misspelled optional field must never be ignored),
// provider URLs under the one transport rule, absolute paths. Pure (zod only): workflow-safe.
import { z } from 'zod';
import { closestName } from '../common/closest-name.js';
import { transportProblem, type TransportOptions } from '../common/transport.js';
import { MAX_PATH_LENGTH, MAX_URL_LENGTH } from './limits.js';

/** The message of zod's `unrecognized_keys` issue, naming the closest known key of that object. */
function unknownKeys(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code !== 'unrecognized_keys') return undefined;
  const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape ?? {};
  const known = Object.keys(shape);
  return (iss.keys as string[])
    .map((key) => {
      const close = closestName(key, known);
      return close ? `unknown key '${key}' (did you mean '${close}'?)` : `unknown key '${key}' (known keys: ${known.join(', ')})`;
    })
    .join('; ');
}

/**
 * An object of a workflow input: unknown keys are refused (`fetchPersonalDat: false` must not
 * silently mean "fetch"). `.extend()` keeps the rule; the message reads the extended shape.
 */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, { error: unknownKeys });
}

let legacyInputRules = false;

/**
 * Runs `parse` (synchronously) under the input rules of flows started before the transport rule
 * existed: any http(s) URL without credentials passes, as the older schemas let it. Only for
 * replaying such flows exactly as they ran (flows/runtime/validate-input.ts); never for new input.
 */
export function underLegacyInputRules<T>(parse: () => T): T {
  legacyInputRules = true;
  try {
    return parse();
  } finally {
    legacyInputRules = false;
  }
}

/** The transport rule (common/transport.ts) as the input schemas apply it. */
export function transportProblemOf(url: string, o: TransportOptions = {}): string | undefined {
  return transportProblem(url, legacyInputRules ? { allowPlainHttp: true } : o);
}

/** A provider's base URL under the transport rule (https; plain http only on loopback). */
export function providerUrl(example: string, o: TransportOptions = {}) {
  return z
    .string()
    .max(MAX_URL_LENGTH, { message: `must be at most ${MAX_URL_LENGTH} characters` })
    .url({ message: `must be an absolute URL, e.g. ${example}` })
    .superRefine((url, ctx) => {
      const problem = transportProblemOf(url, o);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** `env:NAME` or `file:/absolute/path`. A regex, not a refine: it is published in the JSON Schema too. */
const SECRET_REF = /^(?:env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/;

/** A secret reference: `env:NAME` or `file:/absolute/path`, never the secret itself. */
export const SecretRefSchema = z
  .string()
  .max(MAX_PATH_LENGTH, { message: `must be at most ${MAX_PATH_LENGTH} characters` })
  .regex(SECRET_REF, {
    message:
      "must be a secret reference, 'env:NAME' (an environment variable of the worker) or 'file:/absolute/path' " +
      '(a file the worker can read); put the secret itself there, never in the workflow input',
  });

/** An absolute path on the worker's machine. */
export function absolutePath(example?: string) {
  return z
    .string()
    .max(MAX_PATH_LENGTH, { message: `must be at most ${MAX_PATH_LENGTH} characters` })
    .startsWith('/', { message: `must be an absolute path on the worker machine${example ? `, e.g. ${example}` : ''}` });
}

/** `file:/absolute/path`: something the worker reads (data, photos), named by reference. */
export function fileReference(what: string) {
  return z
    .string()
    .max(MAX_PATH_LENGTH, { message: `must be at most ${MAX_PATH_LENGTH} characters` })
    .regex(/^file:\/.+/, { message: `must be a reference to the ${what}, 'file:/absolute/path'` });
}

const DURATION_TEXT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration: a number of ms or e.g. '30s', '12h', '7d'; parsed to ms. */
export const DurationSchema = z
  .union([
    z.number().int().positive(),
    z.string().max(32).regex(DURATION_TEXT, { message: "must be a duration like '30s', '12h' or '7d'" }),
  ])
  .transform((v) => (typeof v === 'number' ? v : durationMs(v)))
  // The text form can say 0 ('0s', '0.4ms') or more than any timer takes ('9999…d'): neither is a wait.
  .refine((ms) => Number.isSafeInteger(ms) && ms > 0, { message: 'must be at least 1 ms and a finite duration' });

/** '12h' → 43200000. Throws on text that is not a duration. */
export function durationMs(text: string): number {
  const m = DURATION_TEXT.exec(text);
  if (!m) throw new Error(`not a duration: '${text}' (expected e.g. '30s', '12h' or '7d')`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** 43200000 → '12h': the largest unit that divides the duration exactly (names of alert tiers). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
}
