// Typed client of KPSIS's key-generation service (POST /api/v1/gencertreq). No Temporal imports.
// The call is NOT idempotent: every call makes a new key. Errors come as HTTP 200 with `error` ≠ "0".
import { z } from 'zod';
import { FailureType, ProviderHttpError, TrustflowError } from '../../common/errors.js';
import { ProviderHttp } from '../http.js';

/** The request as the service spells it (`treshold_num` is its real field name). */
export interface GenCertReqRequest {
  key_param: { security_level: number; iteration_count: number; users_num: number; treshold_num: number; passwords: string[] };
  cert_req_param: {
    type: string;
    cert_info: {
      common_name: string;
      organization: string;
      description?: string;
      state?: string;
      locality?: string;
      street?: string;
      email?: string;
      subject_alt_name?: string[];
    };
  };
  save_to_file: boolean;
}

const ResponseSchema = z
  .object({
    error: z.union([z.string(), z.number()]).transform(String),
    cert_request: z.string().optional(),
    key: z.string().optional(),
    secret_shards: z.array(z.string()).optional(),
  })
  .loose();

const B64 = /^[A-Za-z0-9+/=\s]+$/;
const SHARD_PEM = /^-----BEGIN ENCRYPTED PRIVATE KEY-----[\s\S]+-----END ENCRYPTED PRIVATE KEY-----\s*$/;

export interface GeneratedKey {
  certRequestDer: Buffer;
  keyContainer: Buffer;
  shards: string[];
}

export class KpsisClient {
  private readonly http: ProviderHttp;

  constructor(o: { baseUrl: string; timeoutMs?: number; allowPlainHttp?: boolean; warnPlainHttp?: (message: string) => void }) {
    this.http = new ProviderHttp({
      provider: 'KPSIS',
      baseUrl: o.baseUrl,
      timeoutMs: o.timeoutMs ?? 120_000,
      ...(o.allowPlainHttp ? { allowPlainHttp: true } : {}),
      ...(o.warnPlainHttp ? { warnPlainHttp: o.warnPlainHttp } : {}),
    });
  }

  async generate(req: GenCertReqRequest, signal?: AbortSignal): Promise<GeneratedKey> {
    const r = await this.http.request({
      method: 'POST',
      path: 'api/v1/gencertreq',
      endpoint: 'POST /api/v1/gencertreq',
      json: req,
      schema: ResponseSchema,
      ...(signal ? { signal } : {}),
    });
    if (r.error !== '0') {
      throw new ProviderHttpError({
        provider: 'KPSIS',
        endpoint: 'POST /api/v1/gencertreq',
        status: 200,
        providerCode: r.error,
        providerMessage: 'the service refused the parameters (codes are listed in table 32 of the KPSIS system programmer guide)',
        retryable: false,
        type: FailureType.ProviderRejected,
      });
    }
    const broken = [
      ...(!r.cert_request || !B64.test(r.cert_request) ? ['cert_request'] : []),
      ...(!r.key || !B64.test(r.key) ? ['key'] : []),
      ...(r.secret_shards?.length !== req.key_param.users_num || !r.secret_shards.every((s) => SHARD_PEM.test(s.trim()))
        ? ['secret_shards']
        : []),
    ];
    if (broken.length) {
      // The key was made but cannot be used from here: say so rather than retry into a second key.
      throw new TrustflowError(
        `KPSIS answered error "0" but with unusable ${broken.join(', ')}; a key may exist in the service's data folder: check it before running again`,
        FailureType.ProviderContractViolation,
        false,
      );
    }
    return {
      certRequestDer: Buffer.from(r.cert_request!.replace(/\s+/g, ''), 'base64'),
      keyContainer: Buffer.from(r.key!.replace(/\s+/g, ''), 'base64'),
      shards: r.secret_shards!.map((s) => s.trim() + '\n'),
    };
  }
}
