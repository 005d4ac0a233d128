// "Does this certificate chain to one of these CAs, and was every link valid at that time?": the
// path from a certificate through a CA bundle (every certificate of the bundle, in any order, as
// trusted), one link at a time with the check every chain in trustflow uses (crypto/certificates/check.ts).
// A bundle often holds several generations of a CA under one name: every candidate issuer is tried,
// so the order of the bundle never decides the verdict.
import type { X509Certificate } from 'node:crypto';
import { checkCertificate, type CertificateCheck } from './check.js';

export interface ChainLink {
  certificate: X509Certificate;
  /** This link checked against its issuer (the next link), or, for the last, against itself when self-signed. */
  check: CertificateCheck;
}

export interface ChainVerdict {
  /** A path to a CA of the bundle exists and every link is valid at `at`. */
  valid: boolean;
  /** The path found (the certificate first, then its issuers), or the best partial one when none is valid. */
  path: ChainLink[];
  at: Date;
  /** What is wrong, as sentences naming the certificate. Empty when valid. */
  problems: string[];
}

const MAX_DEPTH = 8;

const oneLine = (dn: string) => dn.split('\n').join(', ');
const same = (a: X509Certificate, b: X509Certificate) => a.raw.equals(b.raw);

/**
 * The path from `cert` to a certificate of `bundle`, each link checked at `at` (signature, issuer
 * rules, validity dates). The path ends at a bundle certificate that is self-signed, or that has no
 * issuer in the bundle (a trusted intermediate). When several paths exist the first valid one wins;
 * when none is valid, the verdict names the problems of the path that got furthest.
 */
export function verifyChain(cert: X509Certificate, bundle: readonly X509Certificate[], at: Date = new Date()): ChainVerdict {
  let best: ChainLink[] = [];
  let bestScore = -1;
  const walk = (current: X509Certificate, path: ChainLink[]): ChainLink[] | undefined => {
    const candidates = bundle.filter((ca) => !same(ca, current) && current.issuer === ca.subject);
    const tried = candidates.length > 0 ? candidates : bundle.filter((ca) => !same(ca, current));
    for (const issuer of tried) {
      const check = checkCertificate(current, issuer, at);
      const next = [...path, { certificate: current, check }];
      const score = next.filter((l) => l.check.valid).length * 2 + next.length;
      if (score > bestScore) {
        bestScore = score;
        best = [...next, { certificate: issuer, check: selfCheck(issuer, at) }];
      }
      if (!check.signatureValid || check.issuerMatches === false) continue;
      if (!check.valid) continue; // a valid path may still go through another candidate
      const top = anchorEnd(issuer, bundle, next, at);
      if (top) return top;
    }
    return undefined;
  };
  const anchorEnd = (issuer: X509Certificate, bundle: readonly X509Certificate[], path: ChainLink[], at: Date): ChainLink[] | undefined => {
    const self = selfCheck(issuer, at);
    if (selfSigned(issuer) || !bundle.some((ca) => !same(ca, issuer) && issuer.issuer === ca.subject))
      return self.valid ? [...path, { certificate: issuer, check: self }] : undefined;
    if (path.length >= MAX_DEPTH || path.some((l) => same(l.certificate, issuer))) return undefined;
    return walk(issuer, path);
  };

  const found = bundle.length > 0 ? walk(cert, []) : undefined;
  if (found) return { valid: true, path: found, at, problems: [] };
  const problems: string[] = [];
  if (bundle.length === 0) problems.push('the CA bundle holds no certificate');
  else if (best.length === 0) problems.push(`no certificate of the CA bundle issued '${oneLine(cert.subject)}'`);
  for (const link of best)
    for (const p of link.check.problems)
      problems.push(`${link === best[0] ? 'the certificate' : `CA '${oneLine(link.certificate.subject)}'`}: ${p}`);
  if (problems.length === 0) problems.push(`no path from '${oneLine(cert.subject)}' to a CA of the bundle is valid at ${at.toISOString()}`);
  return { valid: false, path: best, at, problems: [...new Set(problems)] };
}

function selfSigned(cert: X509Certificate): boolean {
  return cert.issuer === cert.subject && checkCertificate(cert, cert).signatureValid;
}

/** A bundle certificate's own check: its validity at `at`, and its self-signature when it is a root. */
function selfCheck(ca: X509Certificate, at: Date): CertificateCheck {
  const check = checkCertificate(ca, ca, at);
  if (ca.issuer === ca.subject) return check;
  // An intermediate trusted as it is: only its dates count here.
  const problems = check.problems.filter((p) => /^(expired|not valid before)/.test(p));
  return { ...check, signatureValid: true, issuerMatches: true, problems, valid: problems.length === 0 };
}
