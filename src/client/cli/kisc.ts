// The `kisc` group: `kisc news|transactions|act`, called directly over mutual TLS (no Temporal).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KiscConnectionFileSchema } from '../../contracts/kisc-endpoint.js';
import { describeInputIssues } from '../../contracts/validation.js';
import { InvalidInputError } from '../../common/errors.js';
import { extractZip } from '../../common/zip.js';
import { KISC_TLS_ADVICE, KiscClient } from '../../providers/kisc/index.js';
import { closeMutualTlsAgents, openMutualTls } from '../../providers/mutual-tls.js';
import { resolveSecret } from '../../secrets/resolve.js';
import { UsageError, type Commands } from './shared.js';

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
function kiscDate(option: string, value: string | undefined): string {
  if (!value) throw new UsageError(`kisc transactions needs ${option} YYYY-MM-DD`);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.toISOString().slice(0, 10) !== value)
    throw new UsageError(`${option} must be a calendar date YYYY-MM-DD, not '${value}'`);
  return `${m[1]}${m[2]}${m[3]}`;
}

async function news(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { connection: { type: 'string' } } });
  if (!values.connection) throw new UsageError('kisc news needs --connection FILE');
  const items = await withKisc(values.connection, (c) => c.news());
  console.log(JSON.stringify(items, null, 2));
  return 0;
}

async function transactions(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { connection: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } });
  if (!values.connection) throw new UsageError('kisc transactions needs --connection FILE --from YYYY-MM-DD --to YYYY-MM-DD');
  const from = kiscDate('--from', values.from);
  const to = kiscDate('--to', values.to);
  if (from > to) throw new UsageError(`--from ${values.from} is after --to ${values.to}`);
  const rows = await withKisc(values.connection, (c) => c.transactions(from, to));
  console.log(JSON.stringify(rows, null, 2));
  return 0;
}

async function act(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { connection: { type: 'string' }, year: { type: 'string' }, month: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.connection || !values.year || !values.month || !values.out) {
    throw new UsageError('kisc act needs --connection FILE --year YYYY --month M --out DIR');
  }
  if (!/^\d{4}$/.test(values.year)) throw new UsageError(`--year must be YYYY, not '${values.year}'`);
  const month = /^\d{1,2}$/.test(values.month) ? Number(values.month) : NaN;
  if (!(month >= 1 && month <= 12)) throw new UsageError(`--month must be 1..12, not '${values.month}'`);
  const zip = await withKisc(values.connection, (c) => c.act(Number(values.year), month));
  const files = await extractZip(zip, values.out);
  console.error(
    `extracted ${files.length} file(s) of the ${values.year}-${String(month).padStart(2, '0')} act into ${resolve(values.out)}`,
  );
  console.log(
    JSON.stringify(
      files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 })),
      null,
      2,
    ),
  );
  return 0;
}

/** `trustflow kisc <name> ...` */
export const commands: Commands = { news, transactions, act };
