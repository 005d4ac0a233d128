// The KPSIS simulator's two endpoints, each taking the simulator's state: POST /api/v1/gencertreq
// (key, container, shards and PKCS#10, all by OpenSSL but the shards) and POST /api/v1/ca/issue
// (the sandbox CA standing in for NCES, `openssl ca`).
import { createHash, generateKeyPair, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { OpensslError, runOpenssl, withPrivateTempDir } from '../../crypto/openssl.js';
import type { SimRequest, SimResponse } from '../simulator.js';
import { KPSIS_ERROR_CODES, LEVELS, type KpsisErrorCode } from './fixtures.js';
import { caConfig, requestConfig } from './openssl-config.js';
import { MAX_SHARDS, protectSecretWithShards } from './secret-shards.js';
import type { KpsisState } from './state.js';
import { validate, type GenRequest } from './validate.js';

const IssueSchema = z
  .object({
    /** The PKCS#10: base64 DER (as gencertreq returns it) or PEM. */
    cert_request: z.string().min(1),
    /** Validity in days from notBefore (default 365). */
    days: z.number().int().min(1).max(36_500).optional(),
    /** Validity in seconds instead of days (certificates that expire in minutes, for renewal tests). */
    seconds: z.number().int().min(1).max(31_536_000).optional(),
    /** notBefore in days from the simulator's now (default 0): > 0 not yet valid; < 0 with a short `days`: expired. */
    not_before_days: z.number().int().min(-36_500).max(36_500).optional(),
  })
  .strict();

const pem = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

/** YYYYMMDDHHMMSSZ, as `openssl ca -startdate/-enddate` takes it. */
const asn1Time = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');

/** Writes `data` to `dir/name` as 0600 via a temp file and a rename: an old file's mode is not kept. */
async function writeOwnerOnly(dir: string, name: string, data: string): Promise<void> {
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, join(dir, name));
}

const generateKeyPairAsync = promisify(generateKeyPair);

// --- POST /api/v1/gencertreq ---

function fail(s: KpsisState, code: KpsisErrorCode): SimResponse {
  s.errors[code] = (s.errors[code] ?? 0) + 1;
  return { status: 200, body: { error: code } };
}

export async function gencertreq(s: KpsisState, req: SimRequest): Promise<SimResponse> {
  const r = validate(req.json, s.allowedTypes);
  if (typeof r === 'string') return fail(s, r);
  const { curve, digest, secretBytes } = LEVELS[r.level];

  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: curve });
  // The container password: random bytes of the level's size (bee2: 16/24/32), used as the PKCS#8
  // passphrase in lowercase hex. The shards protect the raw bytes; whoever recovers them opens
  // the container with Buffer.from(secret).toString('hex').
  const containerSecret = randomBytes(secretBytes);
  try {
    const { csrDer, containerDer } = await requestAndContainer(r, privateKey, digest, containerSecret);
    const shards = await protectSecretWithShards(containerSecret, r.passwords, r.threshold, r.iterations);
    const saveDir = s.options.saveDir;
    if (r.saveToFile && saveDir) await saveToFile(saveDir, csrDer, containerDer, shards);
    s.requestsGenerated++;
    s.options.logger?.info(
      {
        simulator: 'kpsis',
        securityLevel: r.level,
        usersNum: r.usersNum,
        thresholdNum: r.threshold,
        savedToFile: r.saveToFile && !!saveDir,
        certRequestSha256: createHash('sha256').update(csrDer).digest('hex'),
      },
      'kpsis sandbox: key, container, shards and certificate request generated',
    );
    return {
      status: 200,
      body: {
        error: KPSIS_ERROR_CODES.ok,
        cert_request: csrDer.toString('base64'),
        key: containerDer.toString('base64'),
        secret_shards: shards,
      },
    };
  } finally {
    containerSecret.fill(0);
  }
}

/** The PKCS#10 (`openssl req`) and the key container (`openssl pkcs8`: PBES2, the request's iteration count). */
function requestAndContainer(
  r: GenRequest,
  privateKey: KeyObject,
  digest: string,
  containerSecret: Buffer,
): Promise<{ csrDer: Buffer; containerDer: Buffer }> {
  return withPrivateTempDir(async (_dir, writePrivate) => {
    const keyPath = await writePrivate('key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const configPath = await writePrivate('req.cnf', requestConfig(r.certInfo));
    const csr = await runOpenssl(['req', '-new', '-utf8', '-config', configPath, '-key', keyPath, `-${digest}`, '-outform', 'DER']);
    const container = await runOpenssl(
      [
        'pkcs8',
        '-topk8',
        '-in',
        keyPath,
        '-v2',
        'aes-256-cbc',
        '-v2prf',
        'hmacWithSHA256',
        '-iter',
        String(r.iterations),
        '-passout',
        'env:KPSIS_CONTAINER_PASSWORD',
        '-outform',
        'DER',
      ],
      { env: { KPSIS_CONTAINER_PASSWORD: containerSecret.toString('hex') } },
    );
    return { csrDer: csr.stdout, containerDer: container.stdout };
  });
}

/** save_to_file: cert_req.req, key.pem and shard<i>.pem, as the real service writes them into data/keygensrvc/. */
async function saveToFile(saveDir: string, csrDer: Buffer, containerDer: Buffer, shards: string[]): Promise<void> {
  await mkdir(saveDir, { recursive: true, mode: 0o700 });
  await writeOwnerOnly(saveDir, 'cert_req.req', pem('CERTIFICATE REQUEST', csrDer));
  await writeOwnerOnly(saveDir, 'key.pem', pem('ENCRYPTED PRIVATE KEY', containerDer));
  for (const [i, shard] of shards.entries()) await writeOwnerOnly(saveDir, `shard${i + 1}.pem`, shard);
  // Shards of an earlier, larger run would sit next to these and belong to another key.
  for (let i = shards.length + 1; i <= MAX_SHARDS; i++) await rm(join(saveDir, `shard${i}.pem`), { force: true });
}

// --- POST /api/v1/ca/issue ---

export async function issueCertificate(s: KpsisState, req: SimRequest): Promise<SimResponse> {
  const parsed = IssueSchema.safeParse(req.json);
  if (!parsed.success)
    return { status: 400, body: { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') } };
  const { cert_request, days = 365, seconds, not_before_days = 0 } = parsed.data;
  const csrPem = csrPemOf(cert_request);
  if (typeof csrPem !== 'string') return csrPem;
  const notBefore = Math.floor(s.now().getTime() / 1000) * 1000 + not_before_days * 86_400_000;
  const notAfter = notBefore + (seconds !== undefined ? seconds * 1000 : days * 86_400_000);

  return withPrivateTempDir(async (dir, writePrivate) => {
    const csrPath = await writePrivate('csr.pem', csrPem);
    // OpenSSL 3.0's `req -verify` exits 0 even when the signature is bad: read its verdict.
    let verdict: string;
    try {
      verdict = (await runOpenssl(['req', '-in', csrPath, '-verify', '-noout'])).stderr;
    } catch (err) {
      if (err instanceof OpensslError) return { status: 400, body: { error: 'cert_request is not a readable PKCS#10 request' } };
      throw err;
    }
    if (!/verify OK/.test(verdict)) return { status: 400, body: { error: 'cert_request: its self-signature does not verify' } };

    const certificate = await signWithCa(s, dir, writePrivate, csrPath, notBefore, notAfter);
    if (typeof certificate !== 'string') return certificate;
    const cert = new X509Certificate(certificate);
    s.certificatesIssued++;
    s.options.logger?.info(
      { simulator: 'kpsis', serial: cert.serialNumber, notBefore: cert.validFrom, notAfter: cert.validTo },
      'kpsis sandbox CA: certificate issued',
    );
    return { status: 200, body: { certificate, serial: cert.serialNumber } };
  });
}

/** cert_request as PEM: a PEM request as given, base64 DER wrapped; or the 400 answer. */
function csrPemOf(certRequest: string): string | SimResponse {
  if (certRequest.includes('-----BEGIN')) {
    if (!/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(certRequest))
      return { status: 400, body: { error: 'cert_request: a PEM, but not a CERTIFICATE REQUEST' } };
    return certRequest;
  }
  const b64 = certRequest.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { status: 400, body: { error: 'cert_request: neither PEM nor base64' } };
  return pem('CERTIFICATE REQUEST', Buffer.from(b64, 'base64'));
}

/** `openssl ca` in `dir` with a throw-away database: the certificate (PEM), or the 500 answer naming OpenSSL's reason. */
async function signWithCa(
  s: KpsisState,
  dir: string,
  writePrivate: (name: string, data: string) => Promise<string>,
  csrPath: string,
  notBefore: number,
  notAfter: number,
): Promise<string | SimResponse> {
  await writePrivate('ca.key', s.options.ca.keyPem);
  await writePrivate('ca.pem', s.options.ca.certPem);
  await writePrivate('index.txt', '');
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, always 16 bytes
  await writePrivate('serial', serial.toString('hex').toUpperCase() + '\n');
  const configPath = await writePrivate('ca.cnf', caConfig(dir));
  const certPath = join(dir, 'cert.pem');
  try {
    await runOpenssl([
      'ca',
      '-batch',
      '-notext',
      '-preserveDN',
      '-utf8',
      '-config',
      configPath,
      '-in',
      csrPath,
      '-out',
      certPath,
      '-startdate',
      asn1Time(notBefore),
      '-enddate',
      asn1Time(notAfter),
    ]);
  } catch (err) {
    if (!(err instanceof OpensslError)) throw err;
    const why = err.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('Using configuration') && !l.startsWith('Check that the request') && l !== 'Signature ok');
    return { status: 500, body: { error: `the sandbox CA could not sign: ${why.slice(0, 3).join(' / ')}` } };
  }
  return readFile(certPath, 'utf8');
}
