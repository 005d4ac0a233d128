// "Was this certificate issued by that CA, and is it valid at that time?": the one check trustflow
// uses wherever it looks at a chain (the IS MPT simulator's trust check, `cms verify --ca`,
// `cert verify`). RSA and EC go through Node's OpenSSL; Kazakh GOST (both generations) through
// kz-gost.ts, because OpenSSL knows neither the Kazakh OIDs nor their byte order, and its
// X509_check_issued refuses any issuer whose key it cannot decode.
import { X509Certificate } from 'node:crypto';
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { publicKeyAlgorithmOidOf } from '../cms/der.js';
import { isKzGostKeyOid, kzGostBySignatureOid, kzGostPublicKeyFromSpki, kzGostVerify, type KzGostPublicKey } from '../gost/kz-gost.js';

/** A CA certificate, or a bare Kazakh GOST public key (a root known only by its key). */
export type Issuer = X509Certificate | KzGostPublicKey;

export interface CertificateCheck {
  /** Signature valid, issuer named correctly, and valid at `at`. */
  valid: boolean;
  signatureValid: boolean;
  /**
   * The CA may have issued the certificate: it names the CA as issuer (DN, AKI = SKI) and the CA may
   * sign certificates (basicConstraints, keyUsage). Undefined for a bare key.
   */
  issuerMatches?: boolean;
  validity: 'valid' | 'expired' | 'not_yet_valid';
  at: Date;
  notBefore: Date;
  notAfter: Date;
  /** The certificate's signature algorithm, for people. */
  signatureAlgorithm: string;
  /** Each thing that is wrong, as a sentence. Empty when valid. */
  problems: string[];
}

const SIGNATURE_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
};

function parse(cert: X509Certificate): pkijs.Certificate {
  return pkijs.Certificate.fromBER(new Uint8Array(cert.raw));
}

export function signatureAlgorithmName(cert: X509Certificate): string {
  const oid = parse(cert).signatureAlgorithm.algorithmId;
  const kz = kzGostBySignatureOid(oid);
  return kz ? `${kz.name} with ${kz.hashName} (${oid})` : (SIGNATURE_NAMES[oid] ?? oid);
}

/** The Kazakh GOST public key of a certificate, or undefined when its key is of another algorithm. */
export function kzGostPublicKeyOfCertificate(cert: X509Certificate): KzGostPublicKey | undefined {
  // The key's algorithm from a DER walk first: RSA and EC certificates (nearly all) skip the full
  // parse (~1.5 ms each, paid by every IS MPT sign-in check).
  if (!isKzGostKeyOid(publicKeyAlgorithmOidOf(cert.raw))) return undefined;
  const spki = parse(cert).subjectPublicKeyInfo.toSchema().toBER(false);
  return kzGostPublicKeyFromSpki(new Uint8Array(spki));
}

const isCertificate = (issuer: Issuer): issuer is X509Certificate => issuer instanceof X509Certificate;

/** True when `cert`'s signature verifies under the issuer's key. Never throws for a foreign or damaged key: false. */
export function verifyCertificateSignature(cert: X509Certificate, issuer: Issuer): boolean {
  try {
    const issuerKey = isCertificate(issuer) ? kzGostPublicKeyOfCertificate(issuer) : issuer;
    if (!issuerKey) return isCertificate(issuer) && cert.verify(issuer.publicKey);
    const parsed = parse(cert);
    // The algorithm comes from the issuer's key; the certificate's OID must agree with it.
    if (kzGostBySignatureOid(parsed.signatureAlgorithm.algorithmId) !== issuerKey.algorithm) return false;
    return kzGostVerify(issuerKey, parsed.tbsView, parsed.signatureValue.valueBlock.valueHexView);
  } catch {
    return false;
  }
}

/**
 * `issuer` may have issued `cert`: for RSA and EC issuers OpenSSL's X509_check_issued (names as OpenSSL
 * compares them, AKI, the issuer's keyUsage). For Kazakh GOST issuers, which that function refuses
 * outright, the same rules by hand: issuer DN = subject DN (DER), AKI = SKI where both exist, the
 * issuer is a CA (basicConstraints cA) allowed to sign certificates (keyUsage keyCertSign where
 * present), and the certificate's inner and outer signature algorithms agree.
 */
export function issuerMatches(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    if (!kzGostPublicKeyOfCertificate(issuer)) return cert.checkIssued(issuer);
  } catch {
    return false; // a Kazakh key we refuse or a damaged one: it issues nothing here
  }
  const c = parse(cert);
  const i = parse(issuer);
  const der = (n: pkijs.RelativeDistinguishedNames) => Buffer.from(n.toSchema().toBER(false));
  if (!der(c.issuer).equals(der(i.subject))) return false;
  const aki = (extension(c, '2.5.29.35') as pkijs.AuthorityKeyIdentifier | undefined)?.keyIdentifier?.valueBlock.valueHexView;
  const ski = (extension(i, '2.5.29.14') as asn1js.OctetString | undefined)?.valueBlock.valueHexView;
  if (aki && ski && !Buffer.from(aki).equals(Buffer.from(ski))) return false;
  const basic = extension(i, '2.5.29.19') as pkijs.BasicConstraints | undefined;
  if (!basic?.cA) return false;
  const keyUsage = extension(i, '2.5.29.15') as asn1js.BitString | undefined;
  // keyCertSign is bit 5 of the first octet (bit 0 is its most significant bit).
  if (keyUsage && !((keyUsage.valueBlock.valueHexView[0] ?? 0) & 0x04)) return false;
  return c.signature.algorithmId === c.signatureAlgorithm.algorithmId;
}

function extension(cert: pkijs.Certificate, oid: string): unknown {
  return cert.extensions?.find((e) => e.extnID === oid)?.parsedValue;
}

/** True when `issuer` may have issued `cert` (issuerMatches) and `issuer`'s key signed it. Validity dates are not checked. */
export function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return issuerMatches(cert, issuer) && verifyCertificateSignature(cert, issuer);
}

/** Checks signature, issuer and validity period at `at` (default now), and says what is wrong. */
export function checkCertificate(cert: X509Certificate, issuer: Issuer, at: Date = new Date()): CertificateCheck {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  const signatureValid = verifyCertificateSignature(cert, issuer);
  const issuerOk = isCertificate(issuer) ? issuerMatches(cert, issuer) : undefined;
  const validity = at < notBefore ? 'not_yet_valid' : at > notAfter ? 'expired' : 'valid';
  const problems: string[] = [];
  if (!signatureValid)
    problems.push(
      isCertificate(issuer)
        ? `the signature does not verify with the key of '${oneLine(issuer.subject)}'`
        : 'the signature does not verify with the given key',
    );
  if (issuerOk === false && isCertificate(issuer))
    problems.push(
      cert.issuer === issuer.subject
        ? `'${oneLine(issuer.subject)}' is not a CA that may sign certificates (basicConstraints, keyUsage or key identifiers do not fit)`
        : `the certificate names '${oneLine(cert.issuer)}' as issuer, not '${oneLine(issuer.subject)}'`,
    );
  if (validity === 'expired') problems.push(`expired on ${notAfter.toISOString()} (checked at ${at.toISOString()})`);
  if (validity === 'not_yet_valid') problems.push(`not valid before ${notBefore.toISOString()} (checked at ${at.toISOString()})`);
  return {
    valid: problems.length === 0,
    signatureValid,
    ...(issuerOk === undefined ? {} : { issuerMatches: issuerOk }),
    validity,
    at,
    notBefore,
    notAfter,
    signatureAlgorithm: signatureAlgorithmName(cert),
    problems,
  };
}

const oneLine = (dn: string) => dn.split('\n').join(', ');
