// The KPSIS simulator's tables: gencertreq's error codes (invented: the real ones are unpublished),
// the sandbox's limits and allow-list, and the NIST curve standing in for bign at each security level.

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

export const LEVELS = {
  128: { curve: 'P-256', digest: 'sha256', secretBytes: 16 },
  192: { curve: 'P-384', digest: 'sha384', secretBytes: 24 },
  256: { curve: 'P-521', digest: 'sha512', secretBytes: 32 },
} as const;
export type Level = keyof typeof LEVELS;
