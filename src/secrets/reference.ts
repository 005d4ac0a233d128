// Secret references: what workflow inputs carry instead of secrets. The schema half lives with the
// input contracts (src/contracts/fields.ts: SecretRefSchema); this is the reading half, and only
// activities resolve references (see resolve.ts).

/** `env:NAME` or `file:/absolute/path`. */
export type SecretRef = `env:${string}` | `file:/${string}`;

export function describeSecretRef(ref: string): { kind: 'env'; name: string } | { kind: 'file'; path: string } {
  if (ref.startsWith('env:')) return { kind: 'env', name: ref.slice(4) };
  if (ref.startsWith('file:')) return { kind: 'file', path: ref.slice(5) };
  throw new Error(`not a secret reference: expected env:NAME or file:/path`);
}
