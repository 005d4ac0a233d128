// CMS SignedData: build (RSA, SHA-256, standard signed attributes; written as DER directly, der.ts)
// and verify (pkijs); Kazakh GOST signers are built and checked in cms-kz-gost.ts.
// Certificates and names are kept as their original DER. node-forge's pkcs7 writer does not: it
// re-encodes the signer's issuer DN and double-encodes UTF8String values, so every certificate
// with a Cyrillic DN (all NCA RK ones) yields an issuerAndSerialNumber that matches nothing.
// The signature itself is made by Node's native OpenSSL.
import { createHash, sign as nodeSign, verify as nodeVerify, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { kzGostPublicKeyOfCertificate } from '../certificates/check.js';
import { verifyKzGostSignerInfo } from './kz-gost.js';
import * as der from './der.js';
import type { KzGostPublicKey } from '../gost/kz-gost.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signedData: '1.2.840.113549.1.7.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};

export interface CmsSignParams {
  content: Uint8Array;
  /** RSA private key. */
  privateKey: KeyObject;
  /** The signer's certificate first, then any chain certificates to embed. */
  certificates: X509Certificate[];
  /** Detached: the content is not embedded (the verifier must supply it). */
  detached: boolean;
  signingTime?: Date;
}

/** Returns the DER of a ContentInfo wrapping SignedData, as `openssl cms -sign -binary` would. */
// Per signer certificate, its issuer and serial as the exact bytes of its DER, found once: a key
// from the key cache (key-cache.ts) signs for hours. Weak, so it goes with the cached certificate.
const signerIds = new WeakMap<X509Certificate, Buffer>();

function signerIdOf(certificate: X509Certificate): Buffer {
  let id = signerIds.get(certificate);
  if (!id) {
    const { issuer, serialNumber } = der.issuerAndSerialOf(certificate.raw);
    signerIds.set(certificate, (id = der.sequence(issuer, serialNumber)));
  }
  return id;
}

const SHA256 = der.sequence(der.oid(OID.sha256), der.tlv(der.TAG.null));
// RFC 4055: sha256WithRSAEncryption with NULL parameters (OpenSSL accepts rsaEncryption here too).
const SHA256_WITH_RSA = der.sequence(der.oid(OID.sha256WithRsa), der.tlv(der.TAG.null));

/**
 * Returns the DER of a ContentInfo wrapping SignedData, as `openssl cms -sign -binary -md sha256`
 * would: version 1, issuerAndSerialNumber, signed contentType, signingTime and messageDigest (a
 * DER SET), certificates as issued. Written directly (der.ts); the signature is Node's OpenSSL,
 * off the event loop.
 */
export async function signCmsRsaSha256(p: CmsSignParams): Promise<Buffer> {
  const [signerCert] = p.certificates;
  if (!signerCert) throw new Error('signCmsRsaSha256: no signer certificate');
  const content = Buffer.from(p.content);
  const attribute = (type: string, value: Buffer) => der.sequence(der.oid(type), der.setOf(value));
  // The signature covers the attributes as a SET; the SignerInfo stores the same bytes as [0].
  const signedAttrs = der.setOf(
    attribute(OID.contentType, der.oid(OID.data)),
    attribute(OID.signingTime, der.time(p.signingTime ?? new Date())),
    attribute(OID.messageDigest, der.tlv(der.TAG.octetString, createHash('sha256').update(content).digest())),
  );
  const signature = await new Promise<Buffer>((resolve, reject) =>
    nodeSign('sha256', signedAttrs, p.privateKey, (err, sig) => (err ? reject(err) : resolve(sig))),
  );
  const storedAttrs = Buffer.from(signedAttrs);
  storedAttrs[0] = der.TAG.context(0);

  const signerInfo = der.sequence(
    der.smallInteger(1),
    signerIdOf(signerCert),
    SHA256,
    storedAttrs,
    SHA256_WITH_RSA,
    der.tlv(der.TAG.octetString, signature),
  );
  const encapContentInfo = der.sequence(
    der.oid(OID.data),
    ...(p.detached ? [] : [der.tlv(der.TAG.context(0), der.tlv(der.TAG.octetString, content))]),
  );
  const signedData = der.sequence(
    der.smallInteger(1),
    der.setOf(SHA256),
    encapContentInfo,
    der.tlv(der.TAG.context(0), ...p.certificates.map((c) => c.raw)), // signer first, then the chain
    der.setOf(signerInfo),
  );
  return der.sequence(der.oid(OID.signedData), der.tlv(der.TAG.context(0), signedData));
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

/**
 * Verifies the first signer of a CMS SignedData (`signerCount` says how many there are). For an
 * attached CMS, `detachedContent`, when given, must equal the embedded content. Checks the
 * cryptographic signature only; whether
 * the signer certificate is trusted and valid at a given time is for the caller (certificate-check.ts).
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
 * The content rules both verification paths apply before the signature: a detached CMS needs its
 * content; an attached one is checked over what it embeds, so content supplied beside it must be the
 * same bytes, or a caller comparing "its" document would be told a swapped one is valid.
 */
function contentRuleViolation(
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

  let attrs: Map<string, Buffer[][]> | undefined;
  if (signedAttrs) {
    attrs = new Map();
    for (const attribute of der.elementsOf(signedAttrs)) {
      const [type, values] = der.elementsOf(attribute);
      const oid = der.oidToString(type!);
      attrs.set(oid, [...(attrs.get(oid) ?? []), der.elementsOf(values!)]);
    }
  }
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

/**
 * verifyCms through pkijs objects: every CMS the DER path leaves (BER, GOST, PSS, SKI signers...).
 * A structure damaged past what the parsers check (an eContent that is no OCTET STRING, an embedded
 * certificate OpenSSL refuses) is a "not SignedData" answer, never an exception.
 */
export async function verifyCmsParsed(message: Uint8Array, detachedContent?: Uint8Array): Promise<CmsVerification> {
  try {
    return await verifyCmsObjects(message, detachedContent);
  } catch {
    return {
      signatureValid: false,
      problem: 'not-signed-data',
      reason: 'a damaged CMS SignedData structure',
      certificates: [],
      signerCount: 0,
    };
  }
}

async function verifyCmsObjects(message: Uint8Array, detachedContent?: Uint8Array): Promise<CmsVerification> {
  let signed: pkijs.SignedData;
  try {
    const asn1 = asn1js.fromBER(new Uint8Array(message));
    if (asn1.offset === -1) throw new Error('bad BER');
    const info = new pkijs.ContentInfo({ schema: asn1.result });
    if (info.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new Error('not SignedData');
    signed = new pkijs.SignedData({ schema: info.content });
  } catch {
    return {
      signatureValid: false,
      problem: 'not-signed-data',
      reason: 'not a CMS SignedData structure',
      certificates: [],
      signerCount: 0,
    };
  }
  const signerCount = signed.signerInfos.length;
  const parsedCertificates = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const certificates = (embeddedCertificatesDer(message) ?? parsedCertificates.map((c) => Buffer.from(c.toSchema().toBER(false)))).map(
    (raw) => new X509Certificate(raw),
  );
  const econtent = signed.encapContentInfo.eContent;
  const encapsulatedContent = econtent ? Buffer.from(econtent.getValue()) : undefined;
  const signingTime = readSigningTime(signed);

  const contentProblem = contentRuleViolation(encapsulatedContent, detachedContent, { certificates, signingTime, signerCount });
  if (contentProblem) return contentProblem;
  const content = encapsulatedContent ?? Buffer.from(detachedContent!);
  const kz = kzGostSigner(signed, parsedCertificates, certificates);
  if (kz) {
    const check = verifyKzGostSignerInfo(signed, kz.key, content);
    return {
      signatureValid: check.valid,
      ...(check.valid ? {} : { problem: 'signature-invalid' as const, reason: check.reason }),
      signerCertificate: kz.certificate,
      encapsulatedContent,
      signingTime,
      certificates,
      signerCount,
    };
  }
  try {
    const result = await signed.verify({
      signer: 0,
      checkChain: false,
      extendedMode: true,
      ...(encapsulatedContent ? {} : { data: new Uint8Array(content).buffer }),
    });
    return {
      signatureValid: result.signatureVerified === true,
      ...(result.signatureVerified ? {} : { problem: 'signature-invalid' as const, reason: result.message || 'signature does not verify' }),
      signerCertificate: certificates[signerIndex(signed, parsedCertificates)],
      encapsulatedContent,
      signingTime,
      certificates,
      signerCount,
    };
  } catch (err) {
    const message = (err as { message?: string }).message ?? 'signature does not verify';
    return {
      signatureValid: false,
      problem: 'signature-invalid',
      reason: message,
      signerCertificate: certificates[signerIndex(signed, parsedCertificates)],
      encapsulatedContent,
      signingTime,
      certificates,
      signerCount,
    };
  }
}

function readSigningTime(signed: pkijs.SignedData): Date | undefined {
  const attrs = signed.signerInfos[0]?.signedAttrs?.attributes ?? [];
  const attr = attrs.find((a) => a.type === '1.2.840.113549.1.9.5');
  const value = attr?.values[0] as { toDate?: () => Date } | undefined;
  return value?.toDate?.();
}

/**
 * The first signer's certificate and key when that key is a Kazakh GOST key (WebCrypto cannot verify
 * those); undefined for any other key, which pkijs verifies.
 */
/** The index, among the embedded certificates, of the one the first SignerInfo names; -1 when none. */
function signerIndex(signed: pkijs.SignedData, parsed: pkijs.Certificate[]): number {
  const sid = signed.signerInfos[0]?.sid;
  return sid instanceof pkijs.IssuerAndSerialNumber
    ? parsed.findIndex((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber))
    : parsed.findIndex((c) => {
        // subjectKeyIdentifier [0]: compared with the certificate's SKI extension.
        const ski = c.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as asn1js.OctetString | undefined;
        const want = (sid as asn1js.BaseBlock | undefined)?.valueBlock as { valueHexView?: Uint8Array } | undefined;
        return ski && want?.valueHexView && Buffer.from(ski.valueBlock.valueHexView).equals(Buffer.from(want.valueHexView));
      });
}

function kzGostSigner(
  signed: pkijs.SignedData,
  parsed: pkijs.Certificate[],
  certificates: X509Certificate[],
): { certificate: X509Certificate; key: KzGostPublicKey } | undefined {
  const certificate = certificates[signerIndex(signed, parsed)];
  if (!certificate) return undefined;
  let key: KzGostPublicKey | undefined;
  try {
    key = kzGostPublicKeyOfCertificate(certificate); // RSA and EC signers: undefined after a DER walk
  } catch {
    return undefined;
  }
  return key ? { certificate, key } : undefined;
}

/**
 * The embedded certificates (CertificateChoices that are X.509 Certificates, in order) as their exact
 * DER, read from a DER SignedData; undefined when it is BER (indefinite lengths) or unexpected.
 */
function embeddedCertificatesDer(message: Uint8Array): Buffer[] | undefined {
  try {
    const [, content] = der.elementsOf(message);
    const [signedData] = der.elementsOf(content ?? Buffer.alloc(0));
    const set = der.elementsOf(signedData ?? Buffer.alloc(0)).find((f) => f[0] === der.TAG.context(0));
    return set ? der.elementsOf(set).filter((c) => c[0] === der.TAG.sequence) : [];
  } catch {
    return undefined;
  }
}

export function certificateFingerprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}
