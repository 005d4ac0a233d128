// Scans a workflow's history as the server stores it (protobuf, no codec) for secrets.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export interface Secret {
  label: string;
  value: string | Uint8Array;
}

/** The forms a secret could take in a payload: raw, base64, base64url, hex. */
function forms(value: string | Uint8Array): Buffer[] {
  const raw = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  const out = [raw];
  if (raw.length >= 6)
    out.push(Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('base64url')), Buffer.from(raw.toString('hex')));
  return out;
}

/** The history exactly as the server stores it: protobuf bytes, payloads not decoded. */
export async function storedHistory(client: Client, workflowId: string): Promise<Buffer> {
  // fetchHistory returns the raw history; the client's payload codec is not applied to it.
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const stored = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
  if (stored.length < 100) throw new Error(`history of ${workflowId} is suspiciously small (${stored.length} bytes)`);
  return stored;
}

/** Labels of the secrets found in `haystack` in any of their forms (empty = clean). */
export function findSecrets(haystack: Buffer | string, secrets: Secret[]): string[] {
  const hay = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  return secrets.filter((s) => forms(s.value).some((f) => f.length > 0 && hay.includes(f))).map((s) => s.label);
}

/** Returns the labels of the secrets found anywhere in the stored history (empty = clean). */
export async function findSecretsInHistory(client: Client, workflowId: string, secrets: Secret[]): Promise<string[]> {
  return findSecrets(await storedHistory(client, workflowId), secrets);
}

/** Everything an operator sees without decoding payloads: workflow ID, search attributes, memo. */
export async function visibleMetadata(client: Client, workflowId: string): Promise<string> {
  const d = await client.workflow.getHandle(workflowId).describe();
  return JSON.stringify({ id: d.workflowId, sa: d.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]), memo: d.memo ?? null });
}

/** Whether the server knows a workflow with this id (any status). */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
