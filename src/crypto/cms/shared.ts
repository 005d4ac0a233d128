// What CMS signing and verification share (sign.ts, verify.ts, verify-parsed.ts): the OIDs, the
// forms a CMS arrives in (cmsToDer; decrypt.ts reads EnvelopedData through it too), the
// verification result and the content rules both verification paths apply, and the certificate
// fingerprint.
import { createHash, type X509Certificate } from 'node:crypto';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signedData: '1.2.840.113549.1.7.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};

/** Accepts DER, PEM (-----BEGIN CMS/PKCS7-----) or base64 of DER. */
export function cmsToDer(input: Uint8Array | string): Buffer {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const pem = /-----BEGIN (?:CMS|PKCS7)-----([\s\S]+?)-----END (?:CMS|PKCS7)-----/.exec(text);
  if (pem) return Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
  if (typeof input === 'string') return Buffer.from(input.replace(/\s+/g, ''), 'base64');
  // DER starts with SEQUENCE (0x30); anything else we try as base64 text.
  const bytes = Buffer.from(input);
  return bytes[0] === 0x30 ? bytes : Buffer.from(text.replace(/\s+/g, ''), 'base64');
}

export interface CmsVerification {
  /** The signature over the signed attributes (and the content digest) is valid. */
  signatureValid: boolean;
  /** Why the signature is not valid, when it is not: a code to branch on and a sentence for people. */
  problem?: 'not-signed-data' | 'content-missing' | 'content-mismatch' | 'signature-invalid';
  reason?: string;
  /** The embedded certificate the first SignerInfo names (also when its signature does not verify). */
  signerCertificate?: X509Certificate;
  /** SignerInfos in the CMS. Only the first is verified: callers that expect one signer check this. */
  signerCount: number;
  /** Embedded content (attached CMS), or undefined for detached CMS. */
  encapsulatedContent?: Buffer;
  signingTime?: Date;
  certificates: X509Certificate[];
}

/**
 * The content rules both verification paths apply before the signature: a detached CMS needs its
 * content; an attached one is checked over what it embeds, so content supplied beside it must be the
 * same bytes, or a caller comparing "its" document would be told a swapped one is valid.
 */
export function contentRuleViolation(
  encapsulatedContent: Buffer | undefined,
  detachedContent: Uint8Array | undefined,
  common: Pick<CmsVerification, 'certificates' | 'signingTime' | 'signerCount'>,
): CmsVerification | undefined {
  if (!encapsulatedContent && !detachedContent)
    return { signatureValid: false, problem: 'content-missing', reason: 'detached CMS: the signed content must be supplied', ...common };
  if (encapsulatedContent && detachedContent && !encapsulatedContent.equals(Buffer.from(detachedContent)))
    return {
      signatureValid: false,
      problem: 'content-mismatch',
      reason: 'the CMS embeds content that differs from the content supplied',
      encapsulatedContent,
      ...common,
    };
  return undefined;
}

export function certificateFingerprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}
