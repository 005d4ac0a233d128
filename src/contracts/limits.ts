// The size limits every start is checked against at the edge (client helpers, CLI), before anything
// reaches the server: an id or an input the server would refuse gets a clear InvalidInput here
// instead of the server's terse refusal. Pure: workflow-safe.

/** Temporal's default `limit.maxIDLength`: the server refuses longer workflow ids (counted in UTF-8 bytes). */
export const MAX_WORKFLOW_ID_BYTES = 1000;

/**
 * A workflow input serialized as JSON. Inputs carry references (file:/…, env:…), never documents or
 * photos, so real ones are a few KB (the largest: a 20,000-character KISC consent text). Well below
 * the server's blob limits (`limit.blobSize.warn` 512 KB, `limit.blobSize.error` 2 MB), with room
 * for the payload codec's envelope.
 */
export const MAX_INPUT_BYTES = 128 * 1024;

/** Free-text fields of the input schemas (fields.ts and each contract use these bounds). */
export const MAX_URL_LENGTH = 2048;
export const MAX_PATH_LENGTH = 4096;

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** Why the server would refuse `workflowId` (undefined: it would not). */
export function workflowIdProblem(workflowId: string): string | undefined {
  if (typeof workflowId !== 'string' || workflowId.length === 0) return 'the workflow id is empty: give one (your business id)';
  const bytes = utf8Bytes(workflowId);
  if (bytes > MAX_WORKFLOW_ID_BYTES)
    return `the workflow id is ${bytes} bytes long, over the server's limit of ${MAX_WORKFLOW_ID_BYTES} (limit.maxIDLength): use a shorter business id`;
  return undefined;
}

/** Why `input` is too large to start a workflow with (undefined: it is not). */
export function inputSizeProblem(input: unknown, what: string): string | undefined {
  const bytes = utf8Bytes(JSON.stringify(input) ?? '');
  if (bytes > MAX_INPUT_BYTES)
    return (
      `the ${what} input is ${bytes} bytes as JSON, over the limit of ${MAX_INPUT_BYTES} bytes: ` +
      'inputs name files and secrets by reference (file:/path, env:NAME), never their content'
    );
  return undefined;
}
