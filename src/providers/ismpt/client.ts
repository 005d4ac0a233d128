// Typed client of IS MPT's auth endpoints. No Temporal imports: usable as a plain library.
import { FailureType, ProviderHttpError } from '../../common/errors.js';
import { ProviderHttp } from '../http.js';
import {
  ChallengeSchema,
  DEFAULT_CHALLENGE_REJECTED_CODES,
  SignInResponseSchema,
  type Challenge,
  type SignInRequest,
  type SignInResponse,
} from './schemas.js';

export interface IsmptClientOptions {
  /** The stand's API root, e.g. https://<stand>/api/v3/true-api (everything before /auth/key). */
  baseUrl: string;
  timeoutMs?: number;
  challengeRejectedCodes?: string[];
}

export class IsmptClient {
  private readonly http: ProviderHttp;
  private readonly challengeRejectedCodes: Set<string>;

  constructor(options: IsmptClientOptions) {
    this.http = new ProviderHttp({ provider: 'IS MPT', baseUrl: options.baseUrl, timeoutMs: options.timeoutMs ?? 10_000 });
    this.challengeRejectedCodes = new Set(options.challengeRejectedCodes ?? DEFAULT_CHALLENGE_REJECTED_CODES);
  }

  fetchChallenge(signal?: AbortSignal): Promise<Challenge> {
    return this.http.request({ method: 'GET', path: 'auth/key', endpoint: 'GET /auth/key', schema: ChallengeSchema, signal });
  }

  /**
   * @throws ProviderHttpError with type ChallengeRejected when the stand says the challenge is
   *   unknown, expired or used: fetch a new one and sign again.
   */
  async signIn(body: SignInRequest, signal?: AbortSignal): Promise<SignInResponse> {
    try {
      return await this.http.request({
        method: 'POST',
        path: 'auth/simpleSignIn',
        endpoint: 'POST /auth/simpleSignIn',
        json: body,
        schema: SignInResponseSchema,
        signal,
      });
    } catch (err) {
      if (err instanceof ProviderHttpError && !err.retryable && err.providerCode && this.challengeRejectedCodes.has(err.providerCode)) {
        throw err.retyped(FailureType.ChallengeRejected);
      }
      throw err;
    }
  }
}
