// KPSIS key-generation service simulator (shared/providers/kpsis.md, seed 000), plus a sandbox CA
// standing in for NCES's desk. Real: the PKCS#10 (OpenSSL `req`, UTF-8 subject, DNS SANs), the key
// container (PKCS#8 EncryptedPrivateKeyInfo, PBES2 with the request's iteration count, OpenSSL
// `pkcs8`), the k-of-n shards (secret-shards.ts) and the CA's certificates (OpenSSL `ca`).
// Stand-ins: NIST EC keys (P-256/P-384/P-521 for levels 128/192/256) for bign, AES/SHA-256 PBES2 for
// belt, Shamir for bels, and invented error codes: KPSIS's real ones (its manual's table 32) are unpublished.
import { createHash, createPrivateKey, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { OpensslError, runOpenssl, withPrivateTempDir } from '../../crypto/openssl.js';
import { MAX_SHARDS, MIN_SHARD_ITERATIONS, protectSecretWithShards } from './secret-shards.js';
import { Simulator, type SimRequest, type SimResponse } from '../simulator.js';

/**
 * The `error` codes of POST /api/v1/gencertreq. INVENTED for the sandbox: the seed documents only
 * "0" (success); the real codes are in an unpublished table. Every violation answers HTTP 200.
 */
export const KPSIS_ERROR_CODES = {
  ok: '0',
  /** key_param.security_level is not 128, 192 or 256. */
  securityLevel: '1',
  /** key_param.iteration_count is not an integer in 10000..KPSIS_SANDBOX_MAX_ITERATIONS. */
  iterationCount: '2',
  /** Not 2 ≤ treshold_num ≤ users_num ≤ 16 (integers). */
  usersThreshold: '3',
  /** key_param.passwords is not users_num non-empty strings. */
  passwords: '4',
  /** cert_req_param.type is not in the allow-list (default ["service_and_tls"]). */
  requestType: '5',
  /** cert_info: common_name or organization missing, a field too long or of the wrong kind, a bad DNS name. */
  certInfo: '6',
  /** The body is not a JSON object with key_param and cert_req_param.cert_info objects. */
  malformedRequest: '7',
} as const;
export type KpsisErrorCode = (typeof KPSIS_ERROR_CODES)[keyof typeof KPSIS_ERROR_CODES];

/**
 * A sandbox limit, not KPSIS's: the shards' PBKDF2 runs in node-forge's pure JavaScript
 * (~80 ms per 10000 iterations per shard) and blocks the simulator meanwhile.
 */
export const KPSIS_SANDBOX_MAX_ITERATIONS = 1_000_000;

export const KPSIS_DEFAULT_ALLOWED_TYPES = ['service_and_tls'];

const LEVELS = {
  128: { curve: 'P-256', digest: 'sha256', secretBytes: 16 },
  192: { curve: 'P-384', digest: 'sha384', secretBytes: 24 },
  256: { curve: 'P-521', digest: 'sha512', secretBytes: 32 },
} as const;
type Level = keyof typeof LEVELS;

export interface KpsisSimulatorOptions {
  logger?: Logger;
  /** The sandbox CA standing in for NCES (PEM key, unencrypted, and its certificate). */
  ca: { keyPem: string; certPem: string };
  /** Where `save_to_file: true` writes cert_req.req, key.pem and shard<i>.pem (the real service's data/keygensrvc/). Without it nothing is written. */
  saveDir?: string;
}

const ConfigSchema = z
  .object({
    /** cert_req_param.type values accepted (the real allow-list is unpublished). */
    allowedTypes: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

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

/** The service's cert_info (POST /api/v1/gencertreq, cert_req_param.cert_info), as the seed documents it. */
interface CertInfo {
  common_name: string;
  organization: string;
  description?: string;
  state?: string;
  locality?: string;
  street?: string;
  email?: string;
  subject_alt_name?: string[];
}

interface GenRequest {
  level: Level;
  iterations: number;
  usersNum: number;
  threshold: number;
  passwords: string[];
  certInfo: CertInfo;
  saveToFile: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const chars = (s: string) => [...s].length;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const EMAIL = /^[\x21-\x7e]+@[\x21-\x7e]+$/;

/** OpenSSL's limits (X.520 upper bounds, in characters) and sandbox limits for the rest. */
const FIELD_LIMITS: Record<Exclude<keyof CertInfo, 'subject_alt_name'>, number> = {
  common_name: 64,
  organization: 64,
  state: 128,
  locality: 128,
  email: 128,
  street: 256,
  description: 256,
};

/** The request, or the error code of the first rule it breaks, in the order of KPSIS_ERROR_CODES. */
function validate(json: unknown, allowedTypes: readonly string[]): GenRequest | KpsisErrorCode {
  const C = KPSIS_ERROR_CODES;
  if (!isObject(json) || !isObject(json.key_param) || !isObject(json.cert_req_param) || !isObject(json.cert_req_param.cert_info))
    return C.malformedRequest;
  if (json.save_to_file !== undefined && typeof json.save_to_file !== 'boolean') return C.malformedRequest;
  const k = json.key_param;
  const level = k.security_level;
  if (level !== 128 && level !== 192 && level !== 256) return C.securityLevel;
  const iterations = k.iteration_count;
  if (
    typeof iterations !== 'number' ||
    !Number.isInteger(iterations) ||
    iterations < MIN_SHARD_ITERATIONS ||
    iterations > KPSIS_SANDBOX_MAX_ITERATIONS
  )
    return C.iterationCount;
  const users = k.users_num;
  const threshold = k.treshold_num; // sic: the real field name
  if (typeof users !== 'number' || typeof threshold !== 'number' || !Number.isInteger(users) || !Number.isInteger(threshold))
    return C.usersThreshold;
  if (!(2 <= threshold && threshold <= users && users <= MAX_SHARDS)) return C.usersThreshold;
  const passwords = k.passwords;
  if (
    !Array.isArray(passwords) ||
    passwords.length !== users ||
    !passwords.every((p) => typeof p === 'string' && p.length > 0 && chars(p) <= 1024)
  )
    return C.passwords;

  const type = json.cert_req_param.type;
  if (typeof type !== 'string' || !allowedTypes.includes(type)) return C.requestType;

  const raw = json.cert_req_param.cert_info;
  const info: Record<string, unknown> = {};
  for (const [field, max] of Object.entries(FIELD_LIMITS)) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || CONTROL.test(v) || chars(v.trim()) > max) return C.certInfo;
    if (v.trim()) info[field] = v.trim(); // an empty optional field counts as absent
  }
  if (!info.common_name || !info.organization) return C.certInfo;
  if (info.email !== undefined && !EMAIL.test(info.email as string)) return C.certInfo; // emailAddress is an IA5String
  const sans = raw.subject_alt_name;
  if (sans !== undefined && sans !== null) {
    if (!Array.isArray(sans) || sans.length > 50 || !sans.every((s) => typeof s === 'string' && s.length <= 253 && DNS_NAME.test(s)))
      return C.certInfo;
    if (sans.length) info.subject_alt_name = sans;
  }
  return {
    level,
    iterations,
    usersNum: users,
    threshold,
    passwords: passwords as string[],
    certInfo: info as unknown as CertInfo,
    saveToFile: json.save_to_file === true,
  };
}

/**
 * A value for an OpenSSL config file: every ASCII character but letters and digits backslash-escaped
 * (`\x` is a literal x there, and r/n/b/t, which would become control characters, are letters), so
 * `#`, `$`, quotes, `,`, `/`, `+`, `=` reach the subject as they are. Newlines never get here (rejected).
 */
const cnfValue = (s: string) => s.replace(/[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g, (c) => `\\${c}`);

/** `openssl req` config: a UTF-8 subject in the request's field order and DNS SANs. */
function requestConfig(info: CertInfo): string {
  const dn: [string, string | undefined][] = [
    ['CN', info.common_name],
    ['description', info.description],
    ['O', info.organization],
    ['ST', info.state],
    ['L', info.locality],
    ['street', info.street],
    ['emailAddress', info.email],
  ];
  const sans = info.subject_alt_name ?? [];
  return [
    '[req]',
    'prompt = no',
    'utf8 = yes',
    'string_mask = utf8only',
    'distinguished_name = dn',
    ...(sans.length ? ['req_extensions = ext'] : []),
    '[dn]',
    ...dn.filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k} = ${cnfValue(v)}`),
    ...(sans.length ? ['[ext]', 'subjectAltName = @alt', '[alt]', ...sans.map((s, i) => `DNS.${i + 1} = ${s}`)] : []),
    '',
  ].join('\n');
}

const pem = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

/** `openssl ca` config: a throw-away database per certificate, SANs copied from the request. */
function caConfig(dir: string): string {
  return [
    '[ca]',
    'default_ca = sandbox',
    '[sandbox]',
    `database = ${dir}/index.txt`,
    `new_certs_dir = ${dir}`,
    `serial = ${dir}/serial`,
    `certificate = ${dir}/ca.pem`,
    `private_key = ${dir}/ca.key`,
    'default_md = sha256',
    'policy = policy_any',
    // `copy`, not `copyall`: a request cannot replace the CA's basicConstraints (ask for CA:TRUE).
    'copy_extensions = copy',
    'unique_subject = no',
    'email_in_dn = yes',
    'x509_extensions = ext',
    'utf8 = yes',
    'string_mask = utf8only',
    // Fields missing here are dropped from the subject even with -preserveDN: name them all.
    '[policy_any]',
    ...[
      'countryName',
      'stateOrProvinceName',
      'localityName',
      'streetAddress',
      'organizationName',
      'organizationalUnitName',
      'emailAddress',
      'description',
      'serialNumber',
      'title',
      'givenName',
      'surname',
    ].map((f) => `${f} = optional`),
    'commonName = supplied',
    '[ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth, clientAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid, issuer',
    '',
  ].join('\n');
}

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

export function createKpsisSimulator(o: KpsisSimulatorOptions): Simulator {
  // Fail at start, not at the first issuance, on an unusable CA.
  const caCertificate = new X509Certificate(o.ca.certPem);
  if (!caCertificate.checkPrivateKey(createPrivateKey(o.ca.keyPem)))
    throw new Error('kpsis simulator: the CA key does not match the CA certificate');

  let requestsGenerated = 0;
  let certificatesIssued = 0;
  let errors: Record<string, number> = {};
  let allowedTypes: string[] = [...KPSIS_DEFAULT_ALLOWED_TYPES];

  const fail = (code: KpsisErrorCode): SimResponse => {
    errors[code] = (errors[code] ?? 0) + 1;
    return { status: 200, body: { error: code } };
  };

  const gencertreq = async (req: SimRequest): Promise<SimResponse> => {
    const r = validate(req.json, allowedTypes);
    if (typeof r === 'string') return fail(r);
    const { curve, digest, secretBytes } = LEVELS[r.level];

    const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: curve });
    // The container password: random bytes of the level's size (bee2: 16/24/32), used as the PKCS#8
    // passphrase in lowercase hex. The shards protect the raw bytes; whoever recovers them opens
    // the container with Buffer.from(secret).toString('hex').
    const containerSecret = randomBytes(secretBytes);
    try {
      const { csrDer, containerDer } = await withPrivateTempDir(async (_dir, writePrivate) => {
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
      const shards = await protectSecretWithShards(containerSecret, r.passwords, r.threshold, r.iterations);

      if (r.saveToFile && o.saveDir) {
        await mkdir(o.saveDir, { recursive: true, mode: 0o700 });
        await writeOwnerOnly(o.saveDir, 'cert_req.req', pem('CERTIFICATE REQUEST', csrDer));
        await writeOwnerOnly(o.saveDir, 'key.pem', pem('ENCRYPTED PRIVATE KEY', containerDer));
        for (const [i, shard] of shards.entries()) await writeOwnerOnly(o.saveDir, `shard${i + 1}.pem`, shard);
        // Shards of an earlier, larger run would sit next to these and belong to another key.
        for (let i = shards.length + 1; i <= MAX_SHARDS; i++) await rm(join(o.saveDir, `shard${i}.pem`), { force: true });
      }
      requestsGenerated++;
      o.logger?.info(
        {
          simulator: 'kpsis',
          securityLevel: r.level,
          usersNum: r.usersNum,
          thresholdNum: r.threshold,
          savedToFile: r.saveToFile && !!o.saveDir,
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
  };

  const issue = async (req: SimRequest): Promise<SimResponse> => {
    const parsed = IssueSchema.safeParse(req.json);
    if (!parsed.success)
      return { status: 400, body: { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') } };
    const { cert_request, days = 365, seconds, not_before_days = 0 } = parsed.data;
    let csrPem: string;
    if (cert_request.includes('-----BEGIN')) {
      if (!/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(cert_request))
        return { status: 400, body: { error: 'cert_request: a PEM, but not a CERTIFICATE REQUEST' } };
      csrPem = cert_request;
    } else {
      const b64 = cert_request.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { status: 400, body: { error: 'cert_request: neither PEM nor base64' } };
      csrPem = pem('CERTIFICATE REQUEST', Buffer.from(b64, 'base64'));
    }
    const notBefore = Math.floor(sim.now().getTime() / 1000) * 1000 + not_before_days * 86_400_000;
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

      await writePrivate('ca.key', o.ca.keyPem);
      await writePrivate('ca.pem', o.ca.certPem);
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
      const certificate = await readFile(certPath, 'utf8');
      const cert = new X509Certificate(certificate);
      certificatesIssued++;
      o.logger?.info(
        { simulator: 'kpsis', serial: cert.serialNumber, notBefore: cert.validFrom, notAfter: cert.validTo },
        'kpsis sandbox CA: certificate issued',
      );
      return { status: 200, body: { certificate, serial: cert.serialNumber } };
    });
  };

  const sim: Simulator = new Simulator({
    name: 'kpsis',
    ...(o.logger ? { logger: o.logger } : {}),
    state: () => ({ requestsGenerated, errors: { ...errors }, certificatesIssued, config: { allowedTypes: [...allowedTypes] } }),
    reset: () => {
      requestsGenerated = 0;
      certificatesIssued = 0;
      errors = {};
      allowedTypes = [...KPSIS_DEFAULT_ALLOWED_TYPES];
    },
    configure: (json) => {
      const parsed = ConfigSchema.safeParse(json);
      if (!parsed.success)
        return { status: 400, body: { error_message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
      if (parsed.data.allowedTypes) allowedTypes = [...parsed.data.allowedTypes];
      return { status: 200, body: { config: { allowedTypes } } };
    },
    routes: {
      'POST /api/v1/gencertreq': gencertreq,
      'POST /api/v1/ca/issue': issue,
    },
  });
  return sim;
}
