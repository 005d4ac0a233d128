// CMS SignedData: build (RSA, SHA-256, standard signed attributes) and verify, both with pkijs;
// Kazakh GOST signers are built and checked in cms-kz-gost.ts.
// pkijs keeps certificates and names as their original DER. node-forge's pkcs7 writer does not: it
// re-encodes the signer's issuer DN and double-encodes UTF8String values, so every certificate
// with a Cyrillic DN (all NCA RK ones) yields an issuerAndSerialNumber that matches nothing.
// The signature itself is made by WebCrypto, i.e. Node's native OpenSSL.
import { createHash, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { kzGostPublicKeyOfCertificate } from './certificate-check.js';
import { verifyKzGostSignerInfo } from './cms-kz-gost.js';
import type { KzGostPublicKey } from './kz-gost.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
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
export async function signCmsRsaSha256(p: CmsSignParams): Promise<Buffer> {
  const [signerCert, ...chain] = p.certificates.map((c) => pkijs.Certificate.fromBER(new Uint8Array(c.raw)));
  if (!signerCert) throw new Error('signCmsRsaSha256: no signer certificate');
  const content = new Uint8Array(p.content);
  const digest = createHash('sha256').update(content).digest();

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signerCert.issuer, serialNumber: signerCert.serialNumber }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({
      type: 0,
      attributes: [
        new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
        new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: digest })] }),
        new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: p.signingTime ?? new Date() })] }),
      ],
    }),
  });
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.data,
      ...(p.detached ? {} : { eContent: new asn1js.OctetString({ valueHex: content }) }),
    }),
    signerInfos: [signerInfo],
    certificates: [signerCert, ...chain],
  });

  const pkcs8 = p.privateKey.export({ type: 'pkcs8', format: 'der' });
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  await signed.sign(key as unknown as Parameters<pkijs.SignedData['sign']>[0], 0, 'SHA-256');

  const info = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: signed.toSchema(true) });
  return Buffer.from(info.toSchema().toBER(false));
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
export async function verifyCms(der: Uint8Array, detachedContent?: Uint8Array): Promise<CmsVerification> {
  let signed: pkijs.SignedData;
  try {
    const asn1 = asn1js.fromBER(new Uint8Array(der));
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
  const certificates = (signed.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new X509Certificate(Buffer.from(c.toSchema().toBER(false))));
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
  const kz = kzGostSigner(signed);
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
function kzGostSigner(signed: pkijs.SignedData): { certificate: X509Certificate; key: KzGostPublicKey } | undefined {
  const sid = signed.signerInfos[0]?.sid;
  const certs = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const cert =
    sid instanceof pkijs.IssuerAndSerialNumber
      ? certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber))
      : certs.find((c) => {
          // subjectKeyIdentifier [0]: compared with the certificate's SKI extension.
          const ski = c.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as asn1js.OctetString | undefined;
          const want = (sid as asn1js.BaseBlock | undefined)?.valueBlock as { valueHexView?: Uint8Array } | undefined;
          return ski && want?.valueHexView && Buffer.from(ski.valueBlock.valueHexView).equals(Buffer.from(want.valueHexView));
        });
  if (!cert) return undefined;
  const certificate = new X509Certificate(Buffer.from(cert.toSchema().toBER(false)));
  let key: KzGostPublicKey | undefined;
  try {
    key = kzGostPublicKeyOfCertificate(certificate);
  } catch {
    return undefined;
  }
  return key ? { certificate, key } : undefined;
}

export function certificateFingerprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}
