// The `kisc` group: `kisc news|transactions|act`, called directly over mutual TLS (no Temporal).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KiscConnectionFileSchema } from '../../contracts/kisc-endpoint.js';
import { describeInputIssues } from '../../contracts/validation.js';
import { InvalidInputError } from '../../common/errors.js';
import { extractZip } from './zip.js';
import { KISC_TLS_ADVICE, KiscClient } from '../../providers/kisc/index.js';
import { closeMutualTlsAgents, openMutualTls } from '../../providers/mutual-tls.js';
import { resolveSecret } from '../../secrets/resolve.js';
import { defineCommand, outputFormat, outputOption, required, UsageError } from './command.js';
import { type Commands } from './shared.js';

/** Runs `f` with a KISC client over mutual TLS, configured by the connection file (validated first). */
async function withKisc<T>(connectionFile: string, f: (client: KiscClient) => Promise<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(connectionFile, 'utf8');
  } catch (err) {
    throw new InvalidInputError(
      `${connectionFile}: cannot read the KISC connection file (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
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
      warn: (message, attrs) =>
        console.error(`trustflow: warning: ${message}${attrs && Object.keys(attrs).length ? ` ${JSON.stringify(attrs)}` : ''}`),
    });
    return await f(new KiscClient({ baseUrl: endpoint.baseUrl, agent }));
  } finally {
    closeMutualTlsAgents();
  }
}

/** A calendar date `YYYY-MM-DD` → KISC's `YYYYMMDD`. */
function kiscDate(option: string, value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.toISOString().slice(0, 10) !== value)
    throw new UsageError(`${option} must be a calendar date YYYY-MM-DD, not '${value}'`);
  return `${m[1]}${m[2]}${m[3]}`;
}

const connection = {
  type: 'string',
  value: 'FILE',
  help: '(required) JSON {baseUrl, tls: {p12, password, ca}}; a kiscVerifyIdentity input works as is',
} as const;
const CONNECTION_DETAILS = `The connection file's tls.password is a reference (env:NAME or file:/path), never the password; other
keys are ignored. Called directly over mutual TLS, no Temporal.`;

const news = defineCommand({
  summary: 'KISC service notices (planned works), as JSON',
  options: { connection, output: outputOption('json', ['json']) },
  details: CONNECTION_DETAILS,
  async run(v) {
    outputFormat(v.output, ['json']);
    const items = await withKisc(required(v.connection, 'connection'), (c) => c.news());
    console.log(JSON.stringify(items, null, 2));
    return 0;
  },
});

const transactions = defineCommand({
  summary: "KISC's billed verifications between two days (Almaty), as JSON",
  options: {
    connection,
    from: { type: 'string', value: 'YYYY-MM-DD', help: '(required) the first day' },
    to: { type: 'string', value: 'YYYY-MM-DD', help: '(required) the last day' },
    output: outputOption('json', ['json']),
  },
  details: CONNECTION_DETAILS,
  async run(v) {
    outputFormat(v.output, ['json']);
    const file = required(v.connection, 'connection');
    const from = kiscDate('--from', required(v.from, 'from'));
    const to = kiscDate('--to', required(v.to, 'to'));
    if (from > to) throw new UsageError(`--from ${v.from} is after --to ${v.to}`);
    const rows = await withKisc(file, (c) => c.transactions(from, to));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  },
});

const act = defineCommand({
  summary: "the monthly act: KISC's ZIP unpacked into DIR (nothing is ever overwritten)",
  options: {
    connection,
    year: { type: 'string', value: 'YYYY', help: '(required) the year' },
    month: { type: 'string', value: 'M', help: '(required) the month, 1..12' },
    out: { type: 'string', value: 'DIR', help: "(required) created when missing; must not already hold the act's file" },
    output: outputOption('json', ['json']),
  },
  details: `Prints name, bytes and sha256 of each file. Size, path and entry limits apply to the archive.
${CONNECTION_DETAILS}`,
  async run(v) {
    outputFormat(v.output, ['json']);
    const file = required(v.connection, 'connection');
    const year = required(v.year, 'year');
    const monthText = required(v.month, 'month');
    const out = required(v.out, 'out');
    if (!/^\d{4}$/.test(year)) throw new UsageError(`--year must be YYYY, not '${year}'`);
    const month = /^\d{1,2}$/.test(monthText) ? Number(monthText) : NaN;
    if (!(month >= 1 && month <= 12)) throw new UsageError(`--month must be 1..12, not '${monthText}'`);
    const zip = await withKisc(file, (c) => c.act(Number(year), month));
    const files = await extractZip(zip, out);
    console.error(`extracted ${files.length} file(s) of the ${year}-${String(month).padStart(2, '0')} act into ${resolve(out)}`);
    console.log(
      JSON.stringify(
        files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 })),
        null,
        2,
      ),
    );
    return 0;
  },
});

/** `trustflow kisc <name> ...` */
export const commands: Commands = { news, transactions, act };
