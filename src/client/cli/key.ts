// The `key` group: `key inspect` says what a key store holds, `key export` takes a key out of a
// CryptoPro container or CryptoPro PFX (or a PKCS#12 file) into PKCS#8 PEM, for people moving GOST
// keys out of CryptoPro (local tools, no Temporal). Reading the stores: key-stores.ts.
import { realpath, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { KeyStoreError } from '../../common/errors.js';
import type { KeyUsage } from '../../crypto/keys/cryptopro-container.js';
import { encryptPkcs8, PKCS8_PBKDF2_ITERATIONS, toPem } from '../../crypto/keys/pkcs8.js';
import { defineCommand, outputFormat, required, UsageError, wrap } from './command.js';
import { checkOutputFile, writeOutputFile, type OutputFileOptions } from './io.js';
import { exportKey, inspectStore, type CertificateReport, type KeyReport, type Password, type StoreReport } from './key-stores.js';
import { secretFromEnv, secretsFromEnv, type Commands } from './shared.js';

const passwordOf = (name: string | undefined): Password | undefined =>
  name === undefined ? undefined : { value: secretFromEnv('--password-env', name), ref: `env:${name}` };

const inspect = defineCommand({
  summary: 'what a key store holds: CryptoPro container or PFX, PKCS#12, PEM',
  positionals: { names: ['PATH'], required: 1 },
  options: {
    'password-env': {
      type: 'string',
      value: 'NAME',
      help: 'the environment variable holding the password (PFX, PKCS#12, encrypted PEM; a container needs none)',
    },
    json: { type: 'boolean', help: 'one JSON document on stdout (the same as -o json)' },
    output: { type: 'string', short: 'o', value: 'text|json', default: 'text', help: 'output format (default text)' },
  },
  details: `PATH is a CryptoPro container folder (header.key, masks.key, primary.key…), a PFX/PKCS#12 file,
or a PEM file (PKCS#8 key, plain or encrypted, and certificates). For each key: its usage,
algorithm and OIDs, curve, CryptoPro's exportable flag, fingerprint and certificate; and whether
a password is set.
A container is described from header.key alone, without its password; with --password-env it is
also opened, which checks the password. A PFX or PKCS#12 file is tried with the empty password; when
that does not open it, what can be said without it is shown.
Exit codes: 0 described, 1 not a key store or not readable (the reason on stderr), 2 wrong usage.`,
  async run(v, [path]) {
    const format = v.json === true ? 'json' : outputFormat(v.output, ['text', 'json'] as const);
    const report = await inspectStore(path!, passwordOf(v['password-env']));
    console.log(format === 'json' ? JSON.stringify(report, null, 2) : renderReport(report));
    return 0;
  },
});

const KIND_NAME: Record<StoreReport['kind'], string> = {
  'cryptopro-container': 'CryptoPro container',
  'cryptopro-pfx': 'CryptoPro PFX (PKCS#12 with CryptoPro key encryption)',
  pkcs12: 'PKCS#12',
  pem: 'PEM',
};

/** The report as short aligned text. */
function renderReport(r: StoreReport): string {
  const rows: [string, string][] = [];
  const row = (label: string, value: string) => rows.push([label, value]);
  if (r.name) row('name', r.name);
  if (r.kind === 'cryptopro-container')
    row('password', r.passwordSet === true ? 'set' : r.passwordSet === false ? 'none' : 'unknown (this container keeps no password check)');
  if (r.encryption) row('encryption', r.encryption);
  const certRows = (c: CertificateReport, indent: string) => {
    row(`${indent}issuer`, c.issuer);
    row(`${indent}serial`, c.serialNumber);
    row(`${indent}valid`, `${c.notBefore} to ${c.notAfter}`);
    row(`${indent}sha256`, c.sha256);
  };
  r.keys.forEach((k: KeyReport, i) => {
    row('', '');
    const what = k.usage ? `${k.usage} key${k.slot ? ` (${k.slot} slot)` : ''}` : 'private key';
    row(r.keys.length > 1 ? `key ${i + 1}` : 'key', what);
    const stored = k.storedAlgorithmOid && k.storedAlgorithmOid !== k.algorithmOid ? `, stored as ${k.storedAlgorithmOid}` : '';
    row('  algorithm', `${k.algorithm} (${k.algorithmOid}${stored})`);
    if (k.curveOid || k.curve)
      row('  curve', k.curveOid && k.curve && k.curve !== k.curveOid ? `${k.curve} (${k.curveOid})` : (k.curve ?? k.curveOid)!);
    if (k.digestOid) row('  digest', k.digestOid);
    if (k.exportable !== undefined) row('  exportable', k.exportable ? 'yes' : 'no (CryptoPro policy)');
    row('  fingerprint', k.fingerprint ?? 'unknown');
    row('  certificate', k.certificate?.subject ?? 'none');
    if (k.certificate) certRows(k.certificate, '    ');
  });
  const own = new Set(r.keys.flatMap((k) => (k.certificate ? [k.certificate.sha256] : [])));
  const others = r.certificates.filter((c) => !own.has(c.sha256));
  others.forEach((c, i) => {
    row('', '');
    row(others.length > 1 ? `certificate ${i + 1}` : 'certificate', c.subject);
    certRows(c, '  ');
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  // Fits 100 columns, like the rest of the CLI's text (a long subject or path goes on whole).
  return [
    `${r.path}: ${KIND_NAME[r.kind]}`,
    ...rows.flatMap(([l, val]) => (l === '' && val === '' ? [''] : wrap(`  ${l.padEnd(width)}  ${val}`.trimEnd(), ' '.repeat(width + 4)))),
    ...(r.warnings.length || r.notes.length ? [''] : []),
    ...r.warnings.flatMap((w) => wrap(`warning: ${w}`, '  ')),
    ...r.notes.flatMap((n) => wrap(`note: ${n}`, '  ')),
  ].join('\n');
}

const ENCRYPTION = `PBES2, PBKDF2-HMAC-SHA256 ${PKCS8_PBKDF2_ITERATIONS} iterations, AES-256-CBC`;

const exportCommand = defineCommand({
  summary: 'a key out of a CryptoPro container or PFX into a PKCS#8 PEM file',
  options: {
    from: { type: 'string', value: 'PATH', help: '(required) the container folder, CryptoPro PFX or PKCS#12 file' },
    'password-env': {
      type: 'string',
      value: 'NAME',
      help: 'the environment variable holding its password (leave it out when there is none)',
    },
    out: { type: 'string', value: 'FILE', help: '(required) where the key goes: PKCS#8 PEM, a new file, mode 0600' },
    'cert-out': { type: 'string', value: 'FILE', help: "where the key's certificate goes: PEM, a new file, mode 0600" },
    'key-usage': { type: 'string', value: 'exchange|signature', help: 'which key of a two-key container (default exchange)' },
    'out-password-env': {
      type: 'string',
      value: 'NAME',
      help: "the environment variable holding --out's password (default: the source's password)",
    },
    unencrypted: { type: 'boolean', help: 'write the key without encryption (a warning is printed)' },
  },
  details: `--out is PKCS#8 encrypted (${ENCRYPTION})
under the password in --out-password-env, else the source's own password; a source without a
password needs --out-password-env or --unencrypted. OpenSSL reads the file (GOST keys with
gost-engine: \`openssl pkey -in FILE -passin env:NAME\`), and so does \`trustflow cms decrypt --key\`.
Passwords come from the environment only. Nothing is ever replaced: --out and --cert-out must be
new files, not inside the container folder; each is written whole or not at all.
CryptoPro's "non-exportable" flag is policy for CryptoPro's own software: such a key is exported
with a notice, since using it elsewhere is its owner's decision.
Exit codes: 0 exported, 1 the store cannot be opened (the reason on stderr), 2 wrong usage.`,
  async run(v) {
    const from = required(v.from, 'from');
    const out = required(v.out, 'out');
    const certOut = v['cert-out'];
    const keyUsage = keyUsageOf(v['key-usage']);
    if (v.unencrypted === true && v['out-password-env'] !== undefined)
      throw new UsageError('--unencrypted and --out-password-env contradict each other: give one of them');
    if (certOut !== undefined && resolve(certOut) === resolve(out)) throw new UsageError('--cert-out must be another file than --out');
    await refuseInsideFolder(from, out, '--out');
    if (certOut !== undefined) await refuseInsideFolder(from, certOut, '--cert-out');
    const outputFile = (flag: string, others: { flag: string; path: string }[]): OutputFileOptions => ({
      flag,
      force: false,
      noForce: true,
      mode: 0o600,
      inputs: [{ flag: '--from', path: from }, ...others],
    });
    const keyFile = outputFile('--out', certOut !== undefined ? [{ flag: '--cert-out', path: certOut }] : []);
    const certFile = outputFile('--cert-out', [{ flag: '--out', path: out }]);
    await checkOutputFile(out, keyFile);
    if (certOut !== undefined) await checkOutputFile(certOut, certFile);

    // Passwords: the source's (none when --password-env is left out) and --out's, every missing variable named at once.
    const sourceEnv = v['password-env'];
    const outEnv = v['out-password-env'];
    const pairs: [string, string][] = [];
    if (sourceEnv !== undefined) pairs.push(['--password-env', sourceEnv]);
    if (outEnv !== undefined) pairs.push(['--out-password-env', outEnv]);
    const values = secretsFromEnv(pairs);
    const source: Password = sourceEnv !== undefined ? { value: values[0]!, ref: `env:${sourceEnv}` } : { value: '', ref: undefined };
    let outPassword: string | undefined;
    const notes: string[] = [];
    if (v.unencrypted === true) outPassword = undefined;
    else if (outEnv !== undefined) outPassword = values[pairs.length - 1]!;
    else if (source.value !== '') {
      outPassword = source.value;
      notes.push(`--out is encrypted with the source's password (--password-env ${sourceEnv}); --out-password-env NAME sets another`);
    } else
      throw new UsageError(
        '--out needs a password and the source has none to reuse: give --out-password-env NAME (the variable holding it), or --unencrypted for a key without one',
      );

    const key = await exportKey(from, source, keyUsage);
    if (certOut !== undefined && !key.certificate)
      throw new KeyStoreError(`${from}: holds no certificate for ${key.description}: nothing to write to --cert-out (nothing was written)`);
    for (const w of key.warnings) console.error(`trustflow: warning: ${w}`);
    for (const n of [...key.notices, ...notes]) console.error(`trustflow: note: ${n}`);
    const pem =
      outPassword !== undefined ? toPem('ENCRYPTED PRIVATE KEY', encryptPkcs8(key.pkcs8, outPassword)) : toPem('PRIVATE KEY', key.pkcs8);
    if (outPassword === undefined)
      console.error(
        `trustflow: warning: --unencrypted: ${out} holds the private key in the clear; anyone who can read the file has the key`,
      );
    await writeOutputFile(out, Buffer.from(pem), keyFile);
    if (certOut !== undefined) await writeOutputFile(certOut, Buffer.from(key.certificate!.toString()), certFile);
    console.error(
      `exported ${key.description} from ${from} to ${out} (PKCS#8, ${outPassword !== undefined ? `encrypted: ${ENCRYPTION}` : 'NOT encrypted'})` +
        (certOut !== undefined ? `; its certificate to ${certOut}` : ''),
    );
    return 0;
  },
});

function keyUsageOf(value: string | undefined): KeyUsage | undefined {
  if (value === undefined || value === 'exchange' || value === 'signature') return value;
  throw new UsageError(`--key-usage ${value}: use exchange or signature`);
}

/** An output inside the container folder --from is refused: the folder stays as CryptoPro wrote it. */
async function refuseInsideFolder(from: string, file: string, flag: string): Promise<void> {
  if (
    !(await stat(from).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    return;
  const folder = await realpath(from).catch(() => resolve(from));
  const parent = await realpath(dirname(resolve(file))).catch(() => dirname(resolve(file)));
  if (parent === folder || parent.startsWith(folder + sep))
    throw new UsageError(
      `${flag} ${file} is inside the folder given as --from (${from}): write it elsewhere; the container stays as it is`,
    );
}

/** `trustflow key <name> ...` */
export const commands: Commands = { inspect, export: exportCommand };
