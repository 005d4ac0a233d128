// CMS SignedData: build (RSA, SHA-256, standard signed attributes; written as DER directly, der.ts)
// and verify (pkijs); Kazakh GOST signers are built and checked in cms-kz-gost.ts.
// Certificates and names are kept as their original DER. node-forge's pkcs7 writer does not: it
// re-encodes the signer's issuer DN and double-encodes UTF8String values, so every certificate
// with a Cyrillic DN (all NCA RK ones) yields an issuerAndSerialNumber that matches nothing.
// The signature itself is made by Node's native OpenSSL.
import { createHash, sign as nodeSign, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { kzGostPublicKeyOfCertificate } from './certificate-check.js';
import { verifyKzGostSignerInfo } from './cms-kz-gost.js';
import * as der from './der.js';
import { isKzGostKeyOid, type KzGostPublicKey } from './kz-gost.js';

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

  if (!encapsulatedContent && !detachedContent) {
    return {
      signatureValid: false,
      problem: 'content-missing',
      reason: 'detached CMS: the signed content must be supplied',
      certificates,
      signingTime,
      signerCount,
    };
  }
  // An attached CMS is checked over what it embeds; content supplied beside it must be the same bytes,
  // or a caller comparing "its" document would be told a swapped one is valid.
  if (encapsulatedContent && detachedContent && !encapsulatedContent.equals(Buffer.from(detachedContent))) {
    return {
      signatureValid: false,
      problem: 'content-mismatch',
      reason: 'the CMS embeds content that differs from the content supplied',
      encapsulatedContent,
      certificates,
      signingTime,
      signerCount,
    };
  }
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
    const signerCert = result.signerCertificate
      ? new X509Certificate(Buffer.from(result.signerCertificate.toSchema().toBER(false)))
      : undefined;
    return {
      signatureValid: result.signatureVerified === true,
      ...(result.signatureVerified ? {} : { problem: 'signature-invalid' as const, reason: result.message || 'signature does not verify' }),
      signerCertificate: signerCert,
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
function kzGostSigner(
  signed: pkijs.SignedData,
  parsed: pkijs.Certificate[],
  certificates: X509Certificate[],
): { certificate: X509Certificate; key: KzGostPublicKey } | undefined {
  const sid = signed.signerInfos[0]?.sid;
  const index =
    sid instanceof pkijs.IssuerAndSerialNumber
      ? parsed.findIndex((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber))
      : parsed.findIndex((c) => {
          // subjectKeyIdentifier [0]: compared with the certificate's SKI extension.
          const ski = c.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as asn1js.OctetString | undefined;
          const want = (sid as asn1js.BaseBlock | undefined)?.valueBlock as { valueHexView?: Uint8Array } | undefined;
          return ski && want?.valueHexView && Buffer.from(ski.valueBlock.valueHexView).equals(Buffer.from(want.valueHexView));
        });
  const certificate = certificates[index];
  if (!certificate) return undefined;
  // Most signers are RSA: their key's OID is read from the DER before any full parse.
  let key: KzGostPublicKey | undefined;
  try {
    if (!isKzGostKeyOid(der.publicKeyAlgorithmOidOf(certificate.raw))) return undefined;
    key = kzGostPublicKeyOfCertificate(certificate);
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
