// trustflow's contract for callers in any language, generated from the code into contract/:
//   schemas/<workflowType>.input.schema.json, .result.schema.json   JSON Schema (2020-12) from the zod contracts
//   contract.json        task queue, namespace, per flow: schemas, id rules and start options, steps,
//                        queries; failure types and what each means; search attributes; id patterns
//   codec-vectors.json   the payload encryption's test vectors (codec/vectors.ts)
// `trustflow schema <flow>` prints one schema, `trustflow schema --write contract` writes them all, and
// test/unit/contract-files.test.ts fails when the committed files differ from what the code makes.
import { z } from 'zod';
import { codecTestVectors } from '../codec/vectors.js';
import { START_POLICIES, type FlowContract } from '../contracts/flow-contract.js';
import { MAX_INPUT_BYTES, MAX_WORKFLOW_ID_BYTES } from '../contracts/limits.js';
import { STATUS_QUERY_NAME } from '../contracts/status.js';
import { scheduleIds, workflowIds } from '../contracts/workflow-ids.js';
import { failureTypeMeanings } from '../common/errors.js';
import { allSearchAttributeKeys, searchAttributeMeanings } from '../common/search-attributes.js';
import { flowContracts } from '../flows/contracts.js';
import { workflowTypesOf, type FlowType } from '../flows/registry.js';
import { cliName } from './flows.js';
import { temporalSettingsFromEnv } from '../common/env.js';
import { PERSON_SIGNING_QUERY, SUBMIT_PERSON_SIGNATURE } from '../flows/person-signing/person-signing.contract.js';
import { SUBMIT_ISSUED_CERTIFICATE } from '../flows/kpsis/kpsis-issue-certificate.contract.js';

/** Bumped when a change breaks callers (a field removed or renamed, a type changed); adding optional fields does not. */
export const CONTRACT_VERSION = 1;

export type SchemaKind = 'input' | 'result';

export const schemaPath = (type: FlowType, kind: SchemaKind) => `schemas/${type}.${kind}.schema.json`;

/** The flow's workflow type for a workflow type or its CLI name (`mpt-sign-in`), or undefined. */
export function flowTypeNamed(name: string): FlowType | undefined {
  return workflowTypesOf('flow').find((t) => t === name || cliName(t) === name);
}

/** One flow's input (what a caller sends: defaults may be left out) or result, as JSON Schema. */
export function flowJsonSchema(type: FlowType, kind: SchemaKind): Record<string, unknown> {
  const contract = flowContracts[type] as FlowContract;
  const schema = kind === 'input' ? contract.inputSchema : contract.resultSchema;
  const generated = z.toJSONSchema(schema, { io: kind === 'input' ? 'input' : 'output', unrepresentable: 'throw' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = withStandardFormats(generated) as Record<string, unknown>;
  return {
    $schema,
    title: `${type} ${kind}`,
    description:
      kind === 'input'
        ? `The input of the ${type} workflow (trustflow contract v${CONTRACT_VERSION}). Secrets and files are references ` +
          '(env:NAME, file:/path) the worker resolves, never values. The worker checks more than this schema says ' +
          '(cross-field rules, check digits): a refused input fails the workflow with type InvalidInput.'
        : `The result of the ${type} workflow (trustflow contract v${CONTRACT_VERSION}). Fields may be added in later ` +
          'versions: ignore the ones you do not know.',
    ...rest,
  };
}

/** The `format`s JSON Schema 2020-12 defines; zod also writes its own (starts_with, next to a pattern that says the same). */
const STANDARD_FORMATS = new Set(
  'date-time date time duration email idn-email hostname idn-hostname ipv4 ipv6 uri uri-reference iri iri-reference uuid uri-template json-pointer relative-json-pointer regex'.split(
    ' ',
  ),
);

/** Drops non-standard formats, which strict validators (ajv) refuse as unknown. */
function withStandardFormats(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withStandardFormats);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'format' && typeof v === 'string' && !STANDARD_FORMATS.has(v)))
      .map(([k, v]) => [k, withStandardFormats(v)]),
  );
}

/** Extra messages a flow answers besides the `status` query. */
const FLOW_MESSAGES: Partial<Record<FlowType, { queries?: string[]; updates?: string[] }>> = {
  mptSignIn: { queries: [PERSON_SIGNING_QUERY], updates: [SUBMIT_PERSON_SIGNATURE] },
  kpsisIssueCertificate: { updates: [SUBMIT_ISSUED_CERTIFICATE] },
};

/** What the workers use when TEMPORAL_NAMESPACE / TRUSTFLOW_TASK_QUEUE are unset. */
const DEFAULTS = temporalSettingsFromEnv({});

/** contract/contract.json: everything a caller needs besides the schemas. */
export function contractIndex(): Record<string, unknown> {
  const flows = Object.fromEntries(
    workflowTypesOf('flow').map((type) => {
      const c = flowContracts[type] as FlowContract;
      return [
        type,
        {
          cliName: cliName(type),
          provider: c.provider,
          input: schemaPath(type, 'input'),
          result: schemaPath(type, 'result'),
          idReuse: c.idReuse,
          start: START_POLICIES[c.idReuse],
          steps: c.steps,
          queries: [STATUS_QUERY_NAME, ...(FLOW_MESSAGES[type]?.queries ?? [])],
          updates: FLOW_MESSAGES[type]?.updates ?? [],
        },
      ];
    }),
  );
  return {
    $comment: 'Generated from the code: `trustflow schema --write contract`. Do not edit; docs/calling-trustflow.md explains it.',
    version: CONTRACT_VERSION,
    temporal: {
      namespace: { env: 'TEMPORAL_NAMESPACE', default: DEFAULTS.namespace },
      taskQueue: { env: 'TRUSTFLOW_TASK_QUEUE', default: DEFAULTS.taskQueue },
      workflowType: 'the key of `flows` (e.g. mptSignIn), started by name with one argument: the input',
    },
    payloads: {
      encoding: 'json/plain inputs and results (the default payload converter of every SDK)',
      codec:
        'AES-256-GCM, key id as additional data: every payload a worker writes is encrypted (codec-vectors.json). Use the ' +
        'codec server (POST /encode, /decode) or encrypt locally with the same keyring',
      failures:
        'failure messages and stack traces are encoded attributes (encodeCommonAttributes): decode them with the same codec ' +
        "to read them; the stored message says only 'Encoded failure'",
      maxInputBytes: MAX_INPUT_BYTES,
    },
    workflowIds: {
      maxBytes: MAX_WORKFLOW_ID_BYTES,
      rules: [
        'the server refuses ids over maxBytes (UTF-8). The worker refuses inputs over payloads.maxInputBytes as JSON (InvalidInput)',
        'your business id, e.g. mpt-token-<participant> or kisc-verify-<your request id>: ids are stored and shown in clear, so no IIN, name, phone or token',
        "ids starting with trustflow- are trustflow's own (madeByTrustflow): do not start yours with it",
        'idReuse new-run: the same id joins a running run and starts a new run after a closed one',
        "idReuse recorded-result: a completed run is final, a failed run may be started again. A start with the id of an open or completed run is refused by the server (already started): read that run's input (its WorkflowExecutionStarted event) and use its result only when it is your input; the TypeScript helpers do this and fail with WorkflowIdTaken otherwise. Go: set WorkflowExecutionErrorWhenAlreadyStarted, or ExecuteWorkflow hands back the existing run unchecked",
      ],
      madeByTrustflow: {
        credentialWatch: workflowIds.credentialWatch('<credentialId>'),
        credentialRenewal: workflowIds.credentialRenewal('<credentialId>', 0).replace(/0$/, '<attempt>'),
        tokenKeeper: workflowIds.tokenKeeper('ismpt', '<fingerprint>').replace('/ismpt/', '/<ismpt|kontur>/'),
        cipherTicketCleanup: workflowIds.cipherTicketCleanup('<ticket>'),
        kiscReconcileDay: workflowIds.kiscReconcileDay('<credentialId>', '<YYYY-MM-DD>'),
        credentialsCheckSchedule: scheduleIds.credentialsCheck,
        kiscReconcileSchedule: scheduleIds.kiscReconcile('<credentialId>'),
      },
    },
    flows,
    failureTypes: failureTypeMeanings,
    searchAttributes: Object.fromEntries(
      allSearchAttributeKeys.map((k) => [k.name, { type: k.type, meaning: searchAttributeMeanings[k.name] ?? '' }]),
    ),
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Every file of contract/, by its path inside that folder. */
export function contractFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('contract.json', json(contractIndex()));
  files.set('codec-vectors.json', json(codecTestVectors()));
  for (const type of workflowTypesOf('flow')) {
    for (const kind of ['input', 'result'] as const) files.set(schemaPath(type, kind), json(flowJsonSchema(type, kind)));
  }
  return files;
}
