// Secret references: what workflow inputs carry instead of secrets. Pure (no I/O): workflows and
// input schemas import this; only activities resolve references (see resolve.ts).
import { z } from 'zod';

const ENV_REF = /^env:[A-Za-z_][A-Za-z0-9_]*$/;
const FILE_REF = /^file:\/.+/;

export const SecretRefSchema = z
  .string()
  .refine((s) => ENV_REF.test(s) || FILE_REF.test(s), {
    message:
      "must be a secret reference, 'env:NAME' (an environment variable of the worker) or 'file:/absolute/path' " +
      '(a file the worker can read); put the secret itself there, never in the workflow input',
  });

/** `env:NAME` or `file:/absolute/path`. */
export type SecretRef = `env:${string}` | `file:/${string}`;

export function describeSecretRef(ref: string): { kind: 'env'; name: string } | { kind: 'file'; path: string } {
  if (ref.startsWith('env:')) return { kind: 'env', name: ref.slice(4) };
  if (ref.startsWith('file:')) return { kind: 'file', path: ref.slice(5) };
  throw new Error(`not a secret reference: expected env:NAME or file:/path`);
}
