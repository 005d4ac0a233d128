// CMS SignedData with Kazakh GOST keys, shaped as NCALayer's createCAdESFromBase64 makes it, and
// its verification. pkijs builds and parses the structure (it keeps DNs as their original DER, which
// matters for Cyrillic NCA names); the signature is kz-gost.ts, because WebCrypto and OpenSSL know
// neither the Kazakh OIDs nor the byte order. What NCALayer emits, and where that is documented or
// only inferred, is in docs/kz-gost.md; the parts that could not be confirmed are
// options of KzGostCmsProfile, so an integration can match a verifier that wants them otherwise.
import { createHash, type X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { kzGostSign, kzGostVerify, type KzGostPrivateKey, type KzGostPublicKey } from '../gost/kz-gost.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
};

/**
 * The choices public samples could not settle (docs/kz-gost.md has the evidence). The
 * defaults are what NCALayer most likely writes: it runs on Kalkan's Java provider, whose CMS carry
 * the signature OID, and its samples carry signingCertificateV2 and the signer certificate only.
 */
export interface KzGostCmsProfile {
  /**
   * SignerInfo.signatureAlgorithm: 'signature' writes the signature OID (`1.2.398.3.10.1.1.1.2`;
   * Kalkan Java, NCALayer's 2015 samples), 'key' the key OID (`1.2.398.3.10.1.1.1.1`; the Kalkan C SDK
   * for 2004 keys). Verification accepts both.
   */
  signatureAlgorithm: 'signature' | 'key';
  /** Add ESS signingCertificateV2 (SHA-256 of the signer certificate), as NCALayer does; Kalkan Java's plain generator omits it. */
  signingCertificateV2: boolean;
  /** Embed the other certificates of the key store too; NCALayer's samples carry the signer's only. */
  includeChain: boolean;
}

export const NCALAYER_CMS_PROFILE: Readonly<KzGostCmsProfile> = {
  signatureAlgorithm: 'signature',
  signingCertificateV2: true,
  includeChain: false,
};

export interface KzGostCmsSignParams {
  content: Uint8Array;
  key: KzGostPrivateKey;
  /** The signer's certificate first, then any chain certificates to embed. */
  certificates: X509Certificate[];
  detached: boolean;
  signingTime?: Date;
  profile?: Partial<KzGostCmsProfile>;
}

// Every sample writes explicit NULL parameters.
const algorithmIdentifier = (oid: string) => new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() });

/**
 * DER ContentInfo(SignedData) signed with a Kazakh GOST key. Signed: contentType, signingTime,
 * messageDigest and (by default) signingCertificateV2, in DER SET OF order, as Kalkan writes them.
 */
export function signCmsKzGost(p: KzGostCmsSignParams): Buffer {
  const profile = { ...NCALAYER_CMS_PROFILE, ...p.profile };
  const alg = p.key.algorithm;
  const embedded = profile.includeChain ? p.certificates : p.certificates.slice(0, 1);
  const [signerCert, ...chain] = embedded.map((c) => pkijs.Certificate.fromBER(new Uint8Array(c.raw)));
  if (!signerCert) throw new Error('signCmsKzGost: no signer certificate');
  const content = new Uint8Array(p.content);

  const attributes = [
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
    new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: p.signingTime ?? new Date() })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: alg.hash(content) })] }),
  ];
  if (profile.signingCertificateV2) attributes.push(signingCertificateV2(p.certificates[0]!));
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: derSorted(attributes) });
  // The signature covers the attributes encoded as a SET (tag 0x31), not as the [0] they are stored as.
  const toSign = new Uint8Array(signedAttrs.toSchema().toBER(false));
  toSign[0] = 0x31;

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signerCert.issuer, serialNumber: signerCert.serialNumber }),
    digestAlgorithm: algorithmIdentifier(alg.cmsDigestOid),
    signedAttrs,
    signatureAlgorithm: algorithmIdentifier(profile.signatureAlgorithm === 'key' ? alg.keyOid : alg.signatureOid),
    signature: new asn1js.OctetString({ valueHex: kzGostSign(p.key, toSign) }),
  });
  const signed = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [algorithmIdentifier(alg.cmsDigestOid)],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.data,
      ...(p.detached ? {} : { eContent: new asn1js.OctetString({ valueHex: content }) }),
    }),
    signerInfos: [signerInfo],
    certificates: [signerCert, ...chain],
  });
  const info = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: signed.toSchema(true) });
  return Buffer.from(info.toSchema().toBER(false));
}

/** ESS signingCertificateV2 (RFC 5035): one ESSCertIDv2 with the SHA-256 certHash only, as in Kalkan's CMS. */
function signingCertificateV2(cert: X509Certificate): pkijs.Attribute {
  // hashAlgorithm is omitted (SHA-256 is ESSCertIDv2's DEFAULT), and so is issuerSerial.
  const essCertIdV2 = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: createHash('sha256').update(cert.raw).digest() })],
  });
  return new pkijs.Attribute({
    type: OID.signingCertificateV2,
    values: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] })],
  });
}

/** DER encodes a SET OF in ascending order of the elements' encodings (X.690 11.6). */
function derSorted(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  const der = (a: pkijs.Attribute) => Buffer.from(a.toSchema().toBER(false));
  return [...attributes].sort((a, b) => Buffer.compare(der(a), der(b)));
}

export interface KzGostSignerCheck {
  valid: boolean;
  reason?: string;
}

/**
 * Verifies the first SignerInfo of `signed`, made with a Kazakh GOST key `key`, over `content`: the
 * digest and signature algorithms belong to the key; with signed attributes (RFC 5652 §5.3), exactly
 * one contentType equal to eContentType and exactly one messageDigest equal to the content's digest;
 * and the signature (r ‖ s little-endian) over the DER SET of the attributes, or over the content
 * when there are none.
 */
export function verifyKzGostSignerInfo(signed: pkijs.SignedData, key: KzGostPublicKey, content: Uint8Array): KzGostSignerCheck {
  const signerInfo = signed.signerInfos[0]!;
  const alg = key.algorithm;
  const digestOid = signerInfo.digestAlgorithm.algorithmId;
  if (digestOid !== alg.cmsDigestOid && digestOid !== alg.hashOid)
    return { valid: false, reason: `digest algorithm ${digestOid} does not belong to a ${alg.name} key (${alg.cmsDigestOid} expected)` };
  const sigAlg = signerInfo.signatureAlgorithm.algorithmId;
  if (sigAlg !== alg.signatureOid && sigAlg !== alg.keyOid)
    return { valid: false, reason: `signature algorithm ${sigAlg} does not belong to a ${alg.name} key` };
  let signedBytes = content;
  if (signerInfo.signedAttrs) {
    const single = (type: string) => {
      const found = signerInfo.signedAttrs!.attributes.filter((a) => a.type === type);
      return found.length === 1 && found[0]!.values.length === 1 ? found[0]!.values[0] : undefined;
    };
    const contentType = single(OID.contentType);
    if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== signed.encapContentInfo.eContentType)
      return { valid: false, reason: 'the signed attributes need exactly one contentType, equal to the encapsulated content type' };
    const digest = single(OID.messageDigest);
    if (!(digest instanceof asn1js.OctetString)) return { valid: false, reason: 'the signed attributes need exactly one messageDigest' };
    if (!Buffer.from(digest.valueBlock.valueHexView).equals(Buffer.from(alg.hash(content))))
      return { valid: false, reason: `the content's ${alg.hashName} digest does not match messageDigest` };
    signedBytes = new Uint8Array(signerInfo.signedAttrs.encodedValue);
  }
  return kzGostVerify(key, signedBytes, signerInfo.signature.valueBlock.valueHexView)
    ? { valid: true }
    : { valid: false, reason: `the ${alg.name} signature does not verify` };
}
