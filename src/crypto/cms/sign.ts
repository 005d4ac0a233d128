// CMS SignedData built for RSA signers (SHA-256, standard signed attributes; written as DER
// directly, der.ts); Kazakh GOST signers are built in kz-gost.ts, and verification is verify.ts.
// Certificates and names are kept as their original DER. node-forge's pkcs7 writer does not: it
// re-encodes the signer's issuer DN and double-encodes UTF8String values, so every certificate
// with a Cyrillic DN (all NCA RK ones) yields an issuerAndSerialNumber that matches nothing.
// The signature itself is made by Node's native OpenSSL.
import { createHash, sign as nodeSign, type X509Certificate, type KeyObject } from 'node:crypto';
import * as der from './der.js';
import { OID } from './shared.js';

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
