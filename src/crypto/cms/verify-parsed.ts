// CMS SignedData verification through pkijs objects: every CMS the DER path of verify.ts leaves
// (BER, Kazakh GOST signers via kz-gost.ts, RSA-PSS, subjectKeyIdentifier signers...).
import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { kzGostPublicKeyOfCertificate } from '../certificates/check.js';
import { verifyKzGostSignerInfo } from './kz-gost.js';
import * as der from './der.js';
import type { KzGostPublicKey } from '../gost/kz-gost.js';
import { contentRuleViolation, type CmsVerification } from './shared.js';

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

/**
 * The first signer's certificate and key when that key is a Kazakh GOST key (WebCrypto cannot verify
 * those); undefined for any other key, which pkijs verifies.
 */
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
