// "Is this certificate valid now?", asked before a flow hands it to a provider: an expired or
// not-yet-valid signing certificate is refused here, with its dates, instead of costing a provider
// call (and, for billed flows, money) that ends in the provider's 403.
import type { X509Certificate } from 'node:crypto';
import { FailureType, TrustflowError } from '../../common/errors.js';

export class CertificateNotValidError extends TrustflowError {
  override readonly name = 'CertificateNotValidError';
  constructor(message: string) {
    super(message, FailureType.CertificateNotValid, false);
  }
}

export interface ValidityProblem {
  state: 'expired' | 'not_yet_valid';
  notBefore: Date;
  notAfter: Date;
  /** What to tell the person: dates and what to do. */
  message: string;
}

const day = 86_400_000;
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

/** Undefined when `cert` is valid at `now`; otherwise what is wrong, with its dates. `what` names the certificate (a path, a role). */
export function validityProblem(cert: X509Certificate, what: string, now: Date = new Date()): ValidityProblem | undefined {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  const id = `${what} (certificate serial ${cert.serialNumber}, valid ${iso(notBefore)} to ${iso(notAfter)})`;
  if (now.getTime() > notAfter.getTime()) {
    const days = Math.floor((now.getTime() - notAfter.getTime()) / day);
    return {
      state: 'expired',
      notBefore,
      notAfter,
      message: `${id} expired ${days === 0 ? 'today' : `${days} day(s) ago`}: renew the key and certificate at the issuing CA`,
    };
  }
  if (now.getTime() < notBefore.getTime()) {
    return {
      state: 'not_yet_valid',
      notBefore,
      notAfter,
      message: `${id} is not valid before ${iso(notBefore)}: check the worker's clock, or wait until then`,
    };
  }
  return undefined;
}

/** Throws CertificateNotValid (non-retryable) unless `cert` is valid at `now`. */
export function assertCertificateValid(cert: X509Certificate, what: string, now: Date = new Date()): void {
  const problem = validityProblem(cert, what, now);
  if (problem) throw new CertificateNotValidError(problem.message);
}
