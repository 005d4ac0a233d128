// The checks of a POST /api/v1/gencertreq body: the request, or the error code of the first rule it
// breaks (KPSIS_ERROR_CODES, in their order).
import { MAX_SHARDS, MIN_SHARD_ITERATIONS } from './secret-shards.js';
import { KPSIS_ERROR_CODES, KPSIS_SANDBOX_MAX_ITERATIONS, type KpsisErrorCode, type Level } from './fixtures.js';

/** The service's cert_info (POST /api/v1/gencertreq, cert_req_param.cert_info), as the seed documents it. */
export interface CertInfo {
  common_name: string;
  organization: string;
  description?: string;
  state?: string;
  locality?: string;
  street?: string;
  email?: string;
  subject_alt_name?: string[];
}

export interface GenRequest {
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
export function validate(json: unknown, allowedTypes: readonly string[]): GenRequest | KpsisErrorCode {
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

  const certInfo = certInfoOf(json.cert_req_param.cert_info);
  if (!certInfo) return C.certInfo;
  return {
    level,
    iterations,
    usersNum: users,
    threshold,
    passwords: passwords as string[],
    certInfo,
    saveToFile: json.save_to_file === true,
  };
}

/** cert_info trimmed, empty optional fields dropped; undefined when it breaks a rule (error code certInfo). */
function certInfoOf(raw: Record<string, unknown>): CertInfo | undefined {
  const info: Record<string, unknown> = {};
  for (const [field, max] of Object.entries(FIELD_LIMITS)) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || CONTROL.test(v) || chars(v.trim()) > max) return undefined;
    if (v.trim()) info[field] = v.trim(); // an empty optional field counts as absent
  }
  if (!info.common_name || !info.organization) return undefined;
  if (info.email !== undefined && !EMAIL.test(info.email as string)) return undefined; // emailAddress is an IA5String
  const sans = raw.subject_alt_name;
  if (sans !== undefined && sans !== null) {
    if (!Array.isArray(sans) || sans.length > 50 || !sans.every((s) => typeof s === 'string' && s.length <= 253 && DNS_NAME.test(s)))
      return undefined;
    if (sans.length) info.subject_alt_name = sans;
  }
  return info as unknown as CertInfo;
}
