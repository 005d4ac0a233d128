// CMS SignedData verification: verifyCms, the one entry point. Most CMS (RSA PKCS#1 v1.5 and ECDSA
// signers, as IS MPT, Cipher and OpenSSL write them) are verified here straight from the DER;
// everything else (BER, Kazakh GOST, RSA-PSS, subjectKeyIdentifier signers) goes to the full parser,
// verify-parsed.ts. Signing is sign.ts; what both share is shared.ts.
import { createHash, verify as nodeVerify, X509Certificate } from 'node:crypto';
import * as der from './der.js';
import { contentRuleViolation, OID, type CmsVerification } from './shared.js';
import { verifyCmsParsed } from './verify-parsed.js';

/**
 * Verifies the first signer of a CMS SignedData (`signerCount` says how many there are). For an
 * attached CMS, `detachedContent`, when given, must equal the embedded content. Checks the
 * cryptographic signature only; whether the signer certificate is trusted and valid at a given time
 * is for the caller (certificates/check.ts).
 */
export async function verifyCms(message: Uint8Array, detachedContent?: Uint8Array): Promise<CmsVerification> {
  return verifyCmsDer(message, detachedContent) ?? verifyCmsParsed(message, detachedContent);
}

// Hashes and signature algorithms the DER path verifies with Node's OpenSSL; anything else (RSA-PSS,
// Kazakh GOST, unknown OIDs) goes to the full parser.
const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const SIGNATURE_BY_OID: Record<string, { key: 'rsa' | 'ec'; hash?: string }> = {
  '1.2.840.113549.1.1.1': { key: 'rsa' },
  '1.2.840.113549.1.1.5': { key: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { key: 'rsa', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512' },
  '1.2.840.10045.4.1': { key: 'ec', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { key: 'ec', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512' },
};

/**
 * RFC 5652 §5.4/5.6 verification of the first signer, straight from the DER, for RSA PKCS#1 v1.5
 * and ECDSA signers identified by issuer and serial number: what IS MPT, Cipher and OpenSSL produce.
 * ~1 ms against ~18 ms through pkijs objects. Returns undefined, meaning "use the full parser", for
 * anything else: BER (indefinite lengths), a subjectKeyIdentifier signer, a signer certificate not
 * found byte for byte, Kazakh GOST or RSA-PSS signers, unknown algorithms. Exported for the
 * differential test against verifyCmsParsed.
 */
export function verifyCmsDer(message: Uint8Array, detachedContent?: Uint8Array): CmsVerification | undefined {
  try {
    return verifySignedDataDer(message, detachedContent);
  } catch {
    return undefined; // malformed or unexpected: the full parser says what is wrong
  }
}

function verifySignedDataDer(message: Uint8Array, detachedContent?: Uint8Array): CmsVerification | undefined {
  const parts = signedDataParts(message);
  if (!parts) return undefined;
  const { eContentType, encapsulatedContent, certificates, signerInfos } = parts;
  const signerCount = signerInfos.length;
  const first = signerInfos[0];
  if (!first) return undefined;
  const si = der.elementsOf(first);
  const [, sid, digestAlgorithm] = si;
  const hasAttrs = si[3]?.[0] === der.TAG.context(0);
  const signedAttrs = hasAttrs ? si[3] : undefined;
  const signatureAlgorithm = si[hasAttrs ? 4 : 3];
  const signature = si[hasAttrs ? 5 : 4];
  if (sid?.[0] !== der.TAG.sequence || !digestAlgorithm || !signatureAlgorithm || signature?.[0] !== der.TAG.octetString) return undefined;

  const hash = HASH_BY_OID[der.oidToString(der.elementsOf(digestAlgorithm)[0]!)];
  const sigAlg = SIGNATURE_BY_OID[der.oidToString(der.elementsOf(signatureAlgorithm)[0]!)];
  if (!hash || !sigAlg || (sigAlg.hash && sigAlg.hash !== hash)) return undefined;
  const signerCertificate = certificates.find((c) => {
    const { issuer, serialNumber } = der.issuerAndSerialOf(c.raw);
    return Buffer.concat([issuer, serialNumber]).equals(der.contentOf(sid));
  });
  if (!signerCertificate || signerCertificate.publicKey.asymmetricKeyType !== sigAlg.key) return undefined;

  const attrs = signedAttrs ? signedAttributesOf(signedAttrs) : undefined;
  const signingTime = attrs?.get(OID.signingTime)?.[0]?.[0];
  const common = {
    certificates,
    signerCount,
    ...(signingTime ? { signingTime: der.timeOf(signingTime) } : {}),
  };
  const contentProblem = contentRuleViolation(encapsulatedContent, detachedContent, common);
  if (contentProblem) return contentProblem;
  const content = encapsulatedContent ?? Buffer.from(detachedContent!);
  const invalid = (reason: string): CmsVerification => ({
    signatureValid: false,
    problem: 'signature-invalid',
    reason,
    signerCertificate,
    ...(encapsulatedContent ? { encapsulatedContent } : {}),
    ...common,
  });
  let signedBytes: Buffer;
  if (attrs && signedAttrs) {
    const single = (oid: string) => {
      const found = attrs.get(oid);
      return found?.length === 1 && found[0]!.length === 1 ? found[0]![0] : undefined;
    };
    const contentType = single(OID.contentType);
    if (contentType?.[0] !== der.TAG.oid || der.oidToString(contentType) !== eContentType)
      return invalid('the signed attributes need exactly one contentType, equal to the encapsulated content type');
    const digest = single(OID.messageDigest);
    if (digest?.[0] !== der.TAG.octetString) return invalid('the signed attributes need exactly one messageDigest');
    if (!der.contentOf(digest).equals(createHash(hash).update(content).digest()))
      return invalid(`the content's ${hash} digest does not match messageDigest`);
    // The signature covers the attributes as a SET (tag 0x31), not as the [0] they are stored as.
    signedBytes = Buffer.from(signedAttrs);
    signedBytes[0] = der.TAG.set;
  } else {
    if (eContentType !== OID.data) return invalid('without signed attributes the content type must be id-data');
    signedBytes = content;
  }
  let valid: boolean;
  try {
    valid = nodeVerify(hash, signedBytes, signerCertificate.publicKey, der.contentOf(signature));
  } catch {
    valid = false; // e.g. an ECDSA signature that is not a DER SEQUENCE
  }
  if (!valid) return invalid('the signature does not verify with the signer certificate');
  return { signatureValid: true, signerCertificate, ...(encapsulatedContent ? { encapsulatedContent } : {}), ...common };
}

/** A DER ContentInfo(SignedData) in pieces, or undefined when it is not one (the full parser decides). */
function signedDataParts(message: Uint8Array) {
  const [contentType, content] = der.elementsOf(message);
  if (!contentType || der.oidToString(contentType) !== OID.signedData || content?.[0] !== der.TAG.context(0)) return undefined;
  const fields = der.elementsOf(der.elementsOf(content)[0] ?? Buffer.alloc(0));
  const [, digestAlgorithms, encap, ...rest] = fields;
  const signerInfosSet = rest.at(-1);
  if (digestAlgorithms?.[0] !== der.TAG.set || encap?.[0] !== der.TAG.sequence || signerInfosSet?.[0] !== der.TAG.set) return undefined;
  const [eContentTypeTlv, eContent] = der.elementsOf(encap);
  let encapsulatedContent: Buffer | undefined;
  if (eContent) {
    if (eContent[0] !== der.TAG.context(0)) return undefined;
    const octets = der.elementsOf(eContent)[0];
    if (octets?.[0] === der.TAG.octetString) encapsulatedContent = der.contentOf(octets);
    else if (octets?.[0] === 0x24) {
      // Constructed OCTET STRING (as pkijs wrote it): the concatenation of its primitive parts.
      const pieces = der.elementsOf(octets);
      if (pieces.some((p) => p[0] !== der.TAG.octetString)) return undefined;
      encapsulatedContent = Buffer.concat(pieces.map((p) => der.contentOf(p)));
    } else return undefined;
  }
  const certificateSet = rest.find((f) => f[0] === der.TAG.context(0));
  const certificates = (certificateSet ? der.elementsOf(certificateSet).filter((c) => c[0] === der.TAG.sequence) : []).map(
    (raw) => new X509Certificate(raw),
  );
  return {
    eContentType: der.oidToString(eContentTypeTlv!),
    encapsulatedContent,
    certificates,
    signerInfos: der.elementsOf(signerInfosSet),
  };
}

/** The signed attributes by type: per occurrence of a type, its values (as DER). */
function signedAttributesOf(signedAttrs: Buffer): Map<string, Buffer[][]> {
  const attrs = new Map<string, Buffer[][]>();
  for (const attribute of der.elementsOf(signedAttrs)) {
    const [type, values] = der.elementsOf(attribute);
    const oid = der.oidToString(type!);
    attrs.set(oid, [...(attrs.get(oid) ?? []), der.elementsOf(values!)]);
  }
  return attrs;
}
