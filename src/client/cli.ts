// The `trustflow` command line.
//   trustflow run <flow> --input FILE [--workflow-id ID]
//   trustflow status <workflowId>
//   trustflow cms sign --p12 FILE --password-env NAME --in FILE --out FILE [--detached]
//   trustflow cms verify --in FILE [--content FILE] [--ca FILE]
//   trustflow kontur refresh --base-url URL --sid-env NAME --refresh-token-env NAME [--api-key-env NAME] [--api-version v5.9]
//   trustflow cms decrypt --key FILE [--key-password-env NAME] --cert FILE --in FILE --out FILE [--originator FILE]
//   trustflow kisc news --connection FILE
//   trustflow kisc transactions --connection FILE --from YYYY-MM-DD --to YYYY-MM-DD
//   trustflow kisc act --connection FILE --year YYYY --month M --out DIR
//   trustflow kpsis submit-cert --workflow-id ID --cert FILE
import { randomUUID, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApplicationFailure, WorkflowFailedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { KiscConnectionFileSchema } from '../contracts/kisc-endpoint.js';
import { STATUS_QUERY_NAME, type FlowStatus } from '../contracts/status.js';
import { describeInputIssues } from '../contracts/validation.js';
import { InvalidInputError, TrustflowError } from '../common/errors.js';
import { searchAttributes } from '../common/search-attributes.js';
import { extractZip } from '../common/zip.js';
import { cmsToDer, isIssuedBy, verifyCms } from '../crypto/cms.js';
import { validityProblem } from '../crypto/certificate-validity.js';
import { openSigner } from '../crypto/signer.js';
import { assertNotCryptoProContainer, CmsDecryptError, decryptCms } from '../crypto/decrypt.js';
import { KISC_TLS_ADVICE, KiscClient } from '../providers/kisc/index.js';
import { KonturClient } from '../providers/kontur/index.js';
import { closeMutualTlsAgents, openMutualTls } from '../providers/mutual-tls.js';
import { resolveSecret } from '../secrets/resolve.js';
import { connectClient } from './connection.js';
import { flowOfType, flows, startFlowByName, submitKpsisCertificate, type FlowName } from './flows.js';

const USAGE = `usage:
  trustflow run <flow> --input FILE [--workflow-id ID]     flows: ${Object.keys(flows).join(', ')}
  trustflow status <workflowId>
  trustflow kontur refresh --base-url URL --sid-env NAME --refresh-token-env NAME [--api-key-env NAME] [--api-version v5.9]
      (prints the new {sid, refreshToken}; the old pair becomes invalid)
  trustflow cms sign --p12 FILE --password-env NAME --in FILE --out FILE [--detached]
  trustflow cms verify --in FILE [--content FILE] [--ca FILE]
  trustflow cms decrypt --key FILE [--key-password-env NAME] --cert FILE --in FILE --out FILE [--originator FILE]
      (key: PEM PKCS#8, encrypted or not, or PKCS#12; GOST via OpenSSL + gost-engine, RSA via node-forge)
  trustflow kisc news --connection FILE
  trustflow kisc transactions --connection FILE --from YYYY-MM-DD --to YYYY-MM-DD
      (billed verifications between the two dates, inclusive, Almaty time; prints KISC's rows as JSON)
  trustflow kisc act --connection FILE --year YYYY --month M --out DIR
      (unpacks the monthly act ZIP into DIR, created when missing, and prints name, bytes and sha256 of each
      file; DIR must not already contain the act's file: nothing is ever overwritten)
  trustflow kpsis submit-cert --workflow-id ID --cert FILE
      (hands the CA's certificate (PEM) to a kpsisIssueCertificate flow waiting for it; refused, with the
      reason, when it is for another key or not valid now: the flow then keeps waiting)
KISC connection FILE: JSON {baseUrl, tls: {p12, password, ca}}, tls.password a reference (env:NAME or file:/path);
  other keys are ignored, so a kiscVerifyIdentity input file works as is. Called directly over mutual TLS, no Temporal.
Temporal connection: TEMPORAL_ADDRESS (127.0.0.1:7233), TEMPORAL_NAMESPACE (default), TRUSTFLOW_TASK_QUEUE (trustflow)`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest);
    case 'status':
      return status(rest);
    case 'kontur':
      if (rest[0] === 'refresh') return konturRefresh(rest.slice(1));
      throw new UsageError(`unknown kontur command '${rest[0] ?? ''}'`);
    case 'cms':
      if (rest[0] === 'sign') return cmsSign(rest.slice(1));
      if (rest[0] === 'verify') return cmsVerify(rest.slice(1));
      if (rest[0] === 'decrypt') return cmsDecrypt(rest.slice(1));
      throw new UsageError(`unknown cms command '${rest[0] ?? ''}'`);
    case 'kisc':
      if (rest[0] === 'news') return kiscNews(rest.slice(1));
      if (rest[0] === 'transactions') return kiscTransactions(rest.slice(1));
      if (rest[0] === 'act') return kiscAct(rest.slice(1));
      throw new UsageError(`unknown kisc command '${rest[0] ?? ''}'`);
    case 'kpsis':
      if (rest[0] === 'submit-cert') return kpsisSubmitCert(rest.slice(1));
      throw new UsageError(`unknown kpsis command '${rest[0] ?? ''}'`);
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { input: { type: 'string' }, 'workflow-id': { type: 'string' } } });
  const flow = positionals[0] as FlowName | undefined;
  if (!flow || !(flow in flows)) throw new UsageError(`name a flow: ${Object.keys(flows).join(', ')}`);
  if (!values.input) throw new UsageError('--input FILE is required (a JSON workflow input)');
  const input: unknown = JSON.parse(await readFile(values.input, 'utf8'));
  const client = await connectClient();
  try {
    const workflowId = values['workflow-id'] ?? `${flow}-${randomUUID()}`;
    let recorded = false;
    const handle = await startFlowByName(client, flow, {
      workflowId,
      input,
      onRecordedResult: ({ runId, closedAt }) => {
        recorded = true;
        console.error(`${workflowId} already completed ${flows[flow].contract.workflowType} with this input (run ${runId}, ${closedAt ?? 'closed'}): its recorded result follows; nothing was sent again`);
      },
    });
    if (!recorded) console.error(`started ${flows[flow].contract.workflowType} as ${workflowId}; waiting for the result...`);
    console.log(JSON.stringify(await handle.result(), null, 2));
    return 0;
  } finally {
    await client.connection.close();
  }
}

async function kpsisSubmitCert(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'workflow-id': { type: 'string' }, cert: { type: 'string' } } });
  if (!values['workflow-id'] || !values.cert) throw new UsageError('kpsis submit-cert needs --workflow-id ID and --cert FILE');
  const pem = await readFile(values.cert, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${values.cert} (${err.code ?? 'error'})`);
  });
  const client = await connectClient();
  try {
    const r = await submitKpsisCertificate(client, values['workflow-id'], pem);
    console.log(JSON.stringify(r.certificate, null, 2));
    return 0;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      console.error(`trustflow: certificate refused: ${(err.cause as Error | undefined)?.message ?? err.message}; the flow keeps waiting`);
      return 1;
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

async function status(args: string[]): Promise<number> {
  const workflowId = args[0];
  if (!workflowId) throw new UsageError('status needs a workflow id');
  const client = await connectClient();
  try {
    for (const [label, value] of await describeFlow(client, workflowId)) console.log(`${label.padEnd(9)} ${value}`);
    return 0;
  } finally {
    await client.connection.close();
  }
}

/**
 * What an operator asks of a flow: where it is (step, the flow's own note and warnings), what it is
 * retrying (the current activity's attempt and last failure), and how it ended (outcome, the error
 * or a result summary without secrets). Failures and results are decoded with this shell's codec keys.
 */
async function describeFlow(client: Client, workflowId: string): Promise<[string, string][]> {
  const handle = client.workflow.getHandle(workflowId);
  const d = await handle.describe();
  const sa = d.typedSearchAttributes;
  const rows: [string, string][] = [
    ['workflow', `${workflowId} (${d.type})`],
    ['run', d.runId],
    ['status', d.status.name],
  ];
  const running = d.status.name === 'RUNNING';
  // The flow's own status (step attempt, note, warnings) needs a worker to answer: ask briefly.
  const flowStatus = running
    ? await client.withDeadline(Date.now() + 3000, () => handle.query<FlowStatus>(STATUS_QUERY_NAME)).catch(() => undefined)
    : undefined;
  const step = flowStatus?.step ?? sa.get(searchAttributes.step) ?? '-';
  rows.push(['step', flowStatus && flowStatus.attempt > 1 ? `${step} (attempt ${flowStatus.attempt} of the flow)` : step]);
  if (flowStatus?.note) rows.push(['note', flowStatus.note]);
  for (const w of flowStatus?.warnings ?? []) rows.push(['warning', w]);
  if (running && !flowStatus) rows.push(['note', 'no worker answered the status query within 3 s (is a worker polling its task queue?)']);

  const converter = client.options.loadedDataConverter;
  for (const a of d.raw.pendingActivities ?? []) {
    const max = a.maximumAttempts ? ` of ${a.maximumAttempts}` : '';
    const state = a.state === 2 ? 'running' : 'scheduled';
    const next = timestamp(a.nextAttemptScheduleTime);
    rows.push(['activity', `${a.activityType?.name ?? '?'}: attempt ${a.attempt}${max}, ${state}${next && a.state !== 2 ? `, next attempt at ${next}` : ''}`]);
    if (a.lastFailure) {
      const failure = await decodeOptionalFailureToOptionalError(converter, a.lastFailure).catch(() => undefined);
      rows.push(['  failed', failure ? describeFailure(failure) : '(encrypted: this shell has no codec keys to read it)']);
    }
  }
  rows.push(['outcome', sa.get(searchAttributes.outcome) ?? '-']);
  if (d.closeTime) rows.push(['closed', d.closeTime.toISOString()]);
  if (d.status.name === 'FAILED') {
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    const cause = err instanceof WorkflowFailedError ? (err.cause?.cause ?? err.cause) : err;
    rows.push(['error', cause instanceof Error ? describeFailure(cause) : String(cause)]);
  }
  if (d.status.name === 'COMPLETED') {
    const flow = flowOfType(d.type);
    try {
      const result = await handle.result();
      rows.push(['result', flow ? JSON.stringify(flow.summarize(result)) : '(a workflow type trustflow does not know)']);
    } catch {
      rows.push(['result', '(encrypted: this shell has no codec keys to read it)']);
    }
  }
  return rows;
}

function describeFailure(err: Error): string {
  const type = err instanceof ApplicationFailure && err.type ? `${err.type}: ` : '';
  const message = err.message === 'Encoded failure' ? '(encrypted: this shell has no codec keys to read it)' : err.message;
  return `${type}${message}`;
}

function timestamp(t: Parameters<typeof optionalTsToMs>[0]): string | undefined {
  const ms = optionalTsToMs(t);
  return ms ? new Date(ms).toISOString() : undefined;
}

async function cmsSign(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { p12: { type: 'string' }, 'password-env': { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, detached: { type: 'boolean', default: false } },
  });
  if (!values.p12 || !values['password-env'] || !values.in || !values.out) {
    throw new UsageError('cms sign needs --p12 FILE --password-env NAME --in FILE --out FILE');
  }
  const signer = await openSigner(
    { kind: 'pkcs12', path: await absolute(values.p12), password: `env:${values['password-env']}` },
    resolveSecret,
  );
  // A local tool signs what it is told; it warns where a flow would refuse (the provider would too).
  const problem = validityProblem(signer.certificate, values.p12);
  if (problem) console.error(`trustflow: warning: ${problem.message}`);
  const cms = await signer.signCms(await readFile(values.in), { detached: values.detached! });
  await writeFile(values.out, cms);
  console.error(`signed as ${signer.certificate.subject.replace(/\n/g, ', ')}; wrote ${cms.length} bytes of DER CMS to ${values.out}`);
  return 0;
}

async function cmsVerify(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { in: { type: 'string' }, content: { type: 'string' }, ca: { type: 'string' } } });
  if (!values.in) throw new UsageError('cms verify needs --in FILE (DER, PEM or base64)');
  const der = cmsToDer(await readFile(values.in));
  const v = await verifyCms(der, values.content ? await readFile(values.content) : undefined);
  const ca = values.ca ? new X509Certificate(await readFile(values.ca)) : undefined;
  const cert = v.signerCertificate;
  const report = {
    signatureValid: v.signatureValid,
    ...(v.reason ? { reason: v.reason } : {}),
    detached: !v.encapsulatedContent,
    contentBytes: v.encapsulatedContent?.length,
    signingTime: v.signingTime?.toISOString(),
    signer: cert && { subject: cert.subject.split('\n').join(', '), issuer: cert.issuer.split('\n').join(', '), serialNumber: cert.serialNumber, validFrom: cert.validFrom, validTo: cert.validTo },
    ...(ca && cert ? { issuedByCa: isIssuedBy(cert, ca) } : {}),
  };
  console.log(JSON.stringify(report, null, 2));
  return v.signatureValid && (report.issuedByCa ?? true) ? 0 : 1;
}

async function konturRefresh(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'base-url': { type: 'string' }, 'sid-env': { type: 'string' }, 'refresh-token-env': { type: 'string' }, 'api-key-env': { type: 'string' }, 'api-version': { type: 'string', default: 'v5.9' } },
  });
  if (!values['base-url'] || !values['sid-env'] || !values['refresh-token-env']) {
    throw new UsageError('kontur refresh needs --base-url URL --sid-env NAME --refresh-token-env NAME (secrets come from the environment, never argv)');
  }
  const client = new KonturClient({
    baseUrl: values['base-url'],
    apiVersion: values['api-version']!,
    ...(values['api-key-env'] ? { apiKey: await resolveSecret(`env:${values['api-key-env']}`) } : {}),
  });
  const s = await client.refreshSession(await resolveSecret(`env:${values['sid-env']}`), await resolveSecret(`env:${values['refresh-token-env']}`));
  console.log(JSON.stringify({ sid: s.Sid, refreshToken: s.RefreshToken }, null, 2));
  return 0;
}

async function cmsDecrypt(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { key: { type: 'string' }, 'key-password-env': { type: 'string' }, cert: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, originator: { type: 'string' } },
  });
  if (!values.key || !values.cert || !values.in || !values.out) throw new UsageError('cms decrypt needs --key FILE --cert FILE --in FILE --out FILE');
  const password = values['key-password-env'] ? await resolveSecret(`env:${values['key-password-env']}`) : undefined;
  await assertNotCryptoProContainer(values.key);
  const keyBytes = await readFile(values.key);
  const isPem = keyBytes.subarray(0, 64).toString('latin1').includes('-----BEGIN');
  if (!isPem && password === undefined) throw new UsageError('a PKCS#12 key needs --key-password-env NAME');
  const t0 = performance.now();
  const plain = await decryptCms({
    cms: await readFile(values.in),
    key: isPem ? { format: 'pem', pem: keyBytes, ...(password !== undefined ? { password } : {}) } : { format: 'pkcs12', der: keyBytes, password: password! },
    certificate: await readFile(values.cert),
    ...(values.originator ? { originator: await readFile(values.originator) } : {}),
  });
  await writeFile(values.out, plain, { mode: 0o600 });
  console.error(`decrypted ${plain.length} bytes to ${values.out} in ${Math.round(performance.now() - t0)} ms`);
  return 0;
}

/** Runs `f` with a KISC client over mutual TLS, configured by the connection file (validated first). */
async function withKisc<T>(connectionFile: string, f: (client: KiscClient) => Promise<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(connectionFile, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`${connectionFile}: cannot read the KISC connection file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${connectionFile}: not JSON (expected {"baseUrl": ..., "tls": {"p12": ..., "password": ..., "ca": ...}})`);
  }
  const parsed = KiscConnectionFileSchema.safeParse(json);
  if (!parsed.success) throw new InvalidInputError(`invalid KISC connection file ${connectionFile}: ${describeInputIssues(parsed.error)}`);
  const endpoint = parsed.data;
  try {
    const { agent } = await openMutualTls(endpoint.tls, resolveSecret, {
      provider: 'KISC',
      renewalAdvice: KISC_TLS_ADVICE,
      warn: (message, attrs) => console.error(`trustflow: warning: ${message}${attrs && Object.keys(attrs).length ? ` ${JSON.stringify(attrs)}` : ''}`),
    });
    return await f(new KiscClient({ baseUrl: endpoint.baseUrl, agent }));
  } finally {
    closeMutualTlsAgents();
  }
}

/** A calendar date `YYYY-MM-DD` → KISC's `YYYYMMDD`. */
function kiscDate(option: string, value: string | undefined): string {
  if (!value) throw new UsageError(`kisc transactions needs ${option} YYYY-MM-DD`);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.toISOString().slice(0, 10) !== value) throw new UsageError(`${option} must be a calendar date YYYY-MM-DD, not '${value}'`);
  return `${m[1]}${m[2]}${m[3]}`;
}

async function kiscNews(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { connection: { type: 'string' } } });
  if (!values.connection) throw new UsageError('kisc news needs --connection FILE');
  const news = await withKisc(values.connection, (c) => c.news());
  console.log(JSON.stringify(news, null, 2));
  return 0;
}

async function kiscTransactions(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { connection: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } });
  if (!values.connection) throw new UsageError('kisc transactions needs --connection FILE --from YYYY-MM-DD --to YYYY-MM-DD');
  const from = kiscDate('--from', values.from);
  const to = kiscDate('--to', values.to);
  if (from > to) throw new UsageError(`--from ${values.from} is after --to ${values.to}`);
  const rows = await withKisc(values.connection, (c) => c.transactions(from, to));
  console.log(JSON.stringify(rows, null, 2));
  return 0;
}

async function kiscAct(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { connection: { type: 'string' }, year: { type: 'string' }, month: { type: 'string' }, out: { type: 'string' } } });
  if (!values.connection || !values.year || !values.month || !values.out) {
    throw new UsageError('kisc act needs --connection FILE --year YYYY --month M --out DIR');
  }
  if (!/^\d{4}$/.test(values.year)) throw new UsageError(`--year must be YYYY, not '${values.year}'`);
  const month = /^\d{1,2}$/.test(values.month) ? Number(values.month) : NaN;
  if (!(month >= 1 && month <= 12)) throw new UsageError(`--month must be 1..12, not '${values.month}'`);
  const zip = await withKisc(values.connection, (c) => c.act(Number(values.year), month));
  const files = await extractZip(zip, values.out);
  console.error(`extracted ${files.length} file(s) of the ${values.year}-${String(month).padStart(2, '0')} act into ${resolve(values.out)}`);
  console.log(JSON.stringify(files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 })), null, 2));
  return 0;
}

async function absolute(p: string): Promise<string> {
  return resolve(p);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) console.error(`trustflow: ${err.message}\n\n${USAGE}`);
    else if (err instanceof TrustflowError || err instanceof CmsDecryptError) console.error(`trustflow: ${err.message}`);
    else if (/Unknown encoding: binary\/encrypted/.test(String((err as Error)?.message))) {
      console.error(
        'trustflow: the result is encrypted and this shell has no codec keys: set TRUSTFLOW_CODEC_KEYS or ' +
          "TRUSTFLOW_CODEC_KEY_FILE to the workers' keyring (npm start's development keyring is .trustflow/codec-keys)",
      );
    }
    else if (err instanceof WorkflowFailedError) console.error(`trustflow: workflow failed: ${((err.cause?.cause ?? err.cause) as Error | undefined)?.message ?? err.message}`);
    else console.error(`trustflow: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
