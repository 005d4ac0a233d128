// Scans a workflow's history as the server stores it (protobuf, no codec) for secrets.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export interface Secret {
  label: string;
  value: string | Uint8Array;
}

/** The forms a secret could take in a payload: raw, base64, base64url, hex. */
function forms(value: string | Uint8Array): Buffer[] {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  const out = [raw];
  if (raw.length >= 6) out.push(Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('base64url')), Buffer.from(raw.toString('hex')));
  return out;
}

/** Returns the labels of the secrets found anywhere in the stored history (empty = clean). */
export async function findSecretsInHistory(client: Client, workflowId: string, secrets: Secret[]): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const stored = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
  if (stored.length < 100) throw new Error(`history of ${workflowId} is suspiciously small (${stored.length} bytes)`);
  return secrets.filter((s) => forms(s.value).some((f) => f.length > 0 && stored.includes(f))).map((s) => s.label);
}

/** Everything an operator sees without decoding payloads: workflow ID, search attributes, memo. */
export async function visibleMetadata(client: Client, workflowId: string): Promise<string> {
  const d = await client.workflow.getHandle(workflowId).describe();
  return JSON.stringify({ id: d.workflowId, sa: d.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]), memo: d.memo ?? null });
}
