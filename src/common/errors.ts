// Error types shared by providers, crypto, secrets and activities. No Temporal imports here, so
// providers and crypto stay usable as plain libraries; `failures.ts` maps these to Temporal failures.

/** Stable failure `type`s: callers and operators match on these, never on message text. */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  SecretUnavailable: 'SecretUnavailable',
  KeyStoreUnreadable: 'KeyStoreUnreadable',
  UnsupportedKey: 'UnsupportedKey',
  ProviderRejected: 'ProviderRejected',
  ProviderUnavailable: 'ProviderUnavailable',
  ProviderContractViolation: 'ProviderContractViolation',
  ChallengeRejected: 'ChallengeRejected',
  ChallengeAttemptsExhausted: 'ChallengeAttemptsExhausted',
  TlsRejected: 'TlsRejected',
  UnsafeArchive: 'UnsafeArchive',
  InputChanged: 'InputChanged',
  SessionMissing: 'SessionMissing',
  ServiceNotRunning: 'ServiceNotRunning',
  KeyNotUsable: 'KeyNotUsable',
  OperationTimedOut: 'OperationTimedOut',
  UnknownWorkflowType: 'UnknownWorkflowType',
  CertificateNotValid: 'CertificateNotValid',
  ProviderMaintenance: 'ProviderMaintenance',
  AlreadyBilled: 'AlreadyBilled',
  WorkflowIdTaken: 'WorkflowIdTaken',
  CryptoUnavailable: 'CryptoUnavailable',
  CryptoFailed: 'CryptoFailed',
  DecryptionFailed: 'DecryptionFailed',
  SignatureInvalid: 'SignatureInvalid',
  CodecMisconfigured: 'CodecMisconfigured',
  CodecKeyMissing: 'CodecKeyMissing',
  NoWorker: 'NoWorker',
  KeeperEnded: 'KeeperEnded',
  ServerRefused: 'ServerRefused',
  SignatureDeadlinePassed: 'SignatureDeadlinePassed',
  SigningPageNotConfigured: 'SigningPageNotConfigured',
  WaitingForSigner: 'WaitingForSigner',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/**
 * What each failure type means, for callers in any language: published in contract/contract.json and
 * docs/calling-trustflow.md (a type without a meaning does not compile). `InternalError` is the one
 * type the error boundary gives an error trustflow did not raise on purpose (common/failures.ts).
 */
export const failureTypeMeanings: Readonly<Record<FailureType | 'InternalError', string>> = {
  InvalidInput:
    "The input breaks the flow's contract (its schema, the worker's further checks, its size; in the TypeScript helpers also the workflow id's length): the message names the field and how to fix it. Nothing was sent to the provider.",
  SecretUnavailable:
    'A secret reference (env:NAME, file:/path) could not be resolved on the worker; the message names the reference, never a value.',
  KeyStoreUnreadable: 'A key store (PKCS#12, CryptoPro container) could not be opened: wrong password, damaged or unsupported file.',
  UnsupportedKey: "The key's algorithm or parameters are not ones this flow can sign with.",
  ProviderRejected:
    'The provider refused the request (an HTTP 4xx); its code and text are in the message. Retrying the same input will not help.',
  ProviderUnavailable: "The provider stayed unreachable or answered 5xx/429 through every retry of the activity's policy.",
  ProviderContractViolation:
    'The provider answered something its published contract does not allow; the message names the failing paths, never the values.',
  ChallengeRejected: 'The provider refused the signed challenge (unknown, expired or already used).',
  ChallengeAttemptsExhausted: 'Every fresh challenge the input allowed (maxChallengeAttempts) was refused.',
  TlsRejected: "The TLS handshake failed: our client certificate was refused, or the server's could not be verified.",
  UnsafeArchive: "An archive (a provider's ZIP) breaks the extraction limits: path traversal, too large, too many entries.",
  InputChanged: 'An input file changed while a flow was using it (a photo after its verification key was created).',
  SessionMissing: "The provider's session (Cipher ticket) no longer exists: the flow starts again with a new one.",
  ServiceNotRunning: 'The provider says its service is not started (Cipher 503): the flow waits for it.',
  KeyNotUsable: "A key in the container cannot be used (Cipher's verifier: canBeUsed=false).",
  OperationTimedOut: "An operation did not finish within the flow's bound (e.g. an asynchronous signature).",
  UnknownWorkflowType: 'A workflow type this worker does not offer (e.g. a misspelled type): fails at once, never retried.',
  CertificateNotValid: 'A signing certificate that is expired or not yet valid: refused before any provider sees it.',
  ProviderMaintenance:
    'The provider announced planned works over the time of a billed call, and the input asked to fail rather than wait: nothing was billed.',
  AlreadyBilled: 'A billed request was already made under this workflow id: its recorded result stands, nothing is billed again.',
  WorkflowIdTaken:
    '(TypeScript helpers) A completed flow of this workflow id ran another input: a completed billed/irreversible flow is never repeated under its id.',
  CryptoUnavailable: 'A crypto component the worker needs is not installed (gost-engine).',
  CryptoFailed: 'A crypto operation failed for a reason a retry cannot fix (OpenSSL refused the input).',
  DecryptionFailed: 'A CMS could not be decrypted with the given key: not for this recipient, key and certificate differ, bad data.',
  SignatureInvalid: "A signature does not verify (a detached JWS, a person's CMS).",
  CodecMisconfigured: 'The payload codec is misconfigured: an unreadable keyring, or keys missing where encryption is required.',
  CodecKeyMissing:
    'A payload was encrypted with a codec key this process does not have: add that key to the keyring (after the active one).',
  NoWorker: '(TypeScript helpers) No worker polls the task queue a flow or keeper runs on: nothing was started.',
  KeeperEnded: 'The token keeper was ended (`trustflow token end|reset`) while the call waited: ask again.',
  ServerRefused:
    '(TypeScript helpers) The Temporal server refused a call for a reason the input cannot fix (a limit): its reason is in the message.',
  SignatureDeadlinePassed: "No valid signature from the person before the signer's deadline: nothing was sent to the provider.",
  SigningPageNotConfigured: 'A person-signer flow on a worker without TRUSTFLOW_SIGNING_PAGE_URL / TRUSTFLOW_SIGNING_LINK_KEY.',
  WaitingForSigner: 'A keeper whose signer is a person has no valid token while it waits for them: ask again later.',
  InternalError:
    'An error trustflow did not raise on purpose; its message names only its class (it may have quoted a secret). Retried by the activity policy; report it.',
};

/** Base of every error trustflow raises on purpose: carries the failure type and whether a retry can help. */
export class TrustflowError extends Error {
  override readonly name: string = 'TrustflowError';
  constructor(
    message: string,
    readonly type: FailureType,
    readonly retryable: boolean,
    /** Set when the provider told us how long to wait (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class InvalidInputError extends TrustflowError {
  override readonly name = 'InvalidInputError';
  constructor(message: string) {
    super(message, FailureType.InvalidInput, false);
  }
}

/** A secret reference could not be resolved. The message names the reference, never a value. */
export class SecretUnavailableError extends TrustflowError {
  override readonly name = 'SecretUnavailableError';
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`secret reference ${reference}: ${reason}`, FailureType.SecretUnavailable, false);
  }
}

/** A key store (PKCS#12, ...) could not be opened: wrong password, damaged or unsupported file. */
export class KeyStoreError extends TrustflowError {
  override readonly name: string = 'KeyStoreError';
  constructor(message: string, type: FailureType = FailureType.KeyStoreUnreadable) {
    super(message, type, false);
  }
}

export interface ProviderHttpErrorOptions {
  provider: string;
  /** e.g. `POST /auth/simpleSignIn` */
  endpoint: string;
  status: number;
  /** Machine-readable code from the provider's error body, when it has one. */
  providerCode?: string | undefined;
  /** Human-readable text from the provider's error body (never the request, never a secret we sent). */
  providerMessage?: string | undefined;
  retryable: boolean;
  retryAfterMs?: number | undefined;
  /** Default: ProviderUnavailable when retryable, else ProviderRejected. */
  type?: FailureType;
}

/** The provider answered with an HTTP error status. */
export class ProviderHttpError extends TrustflowError {
  override readonly name = 'ProviderHttpError';
  readonly provider: string;
  readonly endpoint: string;
  readonly status: number;
  readonly providerCode: string | undefined;
  readonly providerMessage: string | undefined;
  constructor(o: ProviderHttpErrorOptions) {
    const detail = [o.providerCode, o.providerMessage].filter(Boolean).join(': ');
    super(
      `${o.provider} ${o.endpoint} answered HTTP ${o.status}${detail ? ` (${detail})` : ''}`,
      o.type ?? (o.retryable ? FailureType.ProviderUnavailable : FailureType.ProviderRejected),
      o.retryable,
      o.retryAfterMs,
    );
    this.provider = o.provider;
    this.endpoint = o.endpoint;
    this.status = o.status;
    this.providerCode = o.providerCode;
    this.providerMessage = o.providerMessage;
  }

  /** The same answer given a provider-specific meaning: non-retryable, with `type` (and a clearer message). */
  retyped(type: FailureType, providerMessage: string | undefined = this.providerMessage): ProviderHttpError {
    return new ProviderHttpError({
      provider: this.provider,
      endpoint: this.endpoint,
      status: this.status,
      providerCode: this.providerCode,
      providerMessage,
      retryable: false,
      type,
    });
  }
}

/** No HTTP answer at all: connection refused/reset, DNS, TLS, timeout. Always worth a retry. */
export class ProviderNetworkError extends TrustflowError {
  override readonly name = 'ProviderNetworkError';
  constructor(
    readonly provider: string,
    readonly endpoint: string,
    readonly code: string | undefined,
    /** False when the request may have reached the provider (matters for non-idempotent calls). */
    readonly requestSurelyNotSent: boolean,
    /** host:port the request went to, so an operator sees which address failed (a typo, a firewall). */
    readonly target?: string,
  ) {
    super(
      `${provider} ${endpoint}: network error ${code ?? 'unknown'}${target ? ` reaching ${target}` : ''}`,
      FailureType.ProviderUnavailable,
      true,
    );
  }
}

/** The provider's response did not match its schema. Names the failing paths, never the values. */
export class ProviderContractViolation extends TrustflowError {
  override readonly name = 'ProviderContractViolation';
  constructor(
    readonly provider: string,
    readonly endpoint: string,
    readonly paths: string[],
  ) {
    super(
      `${provider} ${endpoint} returned a response that does not match its contract at: ${paths.join(', ')}`,
      FailureType.ProviderContractViolation,
      false,
    );
  }
}

/** A TLS handshake failed for a reason a retry cannot fix. Says which side's certificate and what to check. */
export class ProviderTlsError extends TrustflowError {
  override readonly name = 'ProviderTlsError';
  constructor(
    readonly provider: string,
    readonly endpoint: string,
    readonly code: string,
    readonly side: 'client-certificate' | 'server-certificate' | 'handshake',
    advice?: string,
  ) {
    const what =
      side === 'client-certificate'
        ? 'the server refused our client certificate (expired, revoked, not registered, or from another CA)'
        : side === 'server-certificate'
          ? "the server's certificate could not be verified against the configured CA bundle (wrong CA file, or not the server you meant)"
          : 'the TLS handshake failed (protocol or cipher mismatch, or not a TLS endpoint)';
    super(`${provider} ${endpoint}: TLS ${code}: ${what}${advice ? `. ${advice}` : ''}`, FailureType.TlsRejected, false);
  }
}
