// The sandbox's credential CA: a root, an intermediate, and leaf certificates valid for seconds or
// minutes, so expiry ladders, renewal points and chain warnings can be seen on a real server without
// waiting days. Leaves come as PEM chains (leaf, intermediate) or as PKCS#12 (AES, OpenSSL 3 style).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface IssueOptions {
  /** Leaf validity, ms, from `notBeforeMs`. */
  validForMs: number;
  /** When the leaf becomes valid (ms since the epoch); default now. A future one: a not-yet-valid certificate. */
  notBeforeMs?: number;
  /** The subject's organisation (the only part of a subject alerts carry). */
  organization?: string;
  /** A fresh intermediate valid this long signs the leaf (a chain whose CA expires first). */
  caValidForMs?: number;
}

export interface IssuedChain {
  /** leaf, then intermediate (PEM). */
  chainPem: string;
  leafPem: string;
  keyPem: string;
  /** The intermediate's and the leaf's certificates and key in a PKCS#12 (AES-256, as OpenSSL 3 writes it). */
  pkcs12(password: string): Buffer;
  notAfter: string;
}

interface Ca {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

const DAY = 86_400_000;

export class ShortLivedCa {
  private readonly root: Ca;
  private readonly intermediate: Ca;

  constructor(readonly name = 'trustflow sandbox credentials CA') {
    const rootKeys = keyPair();
    const rootSubject = [
      { shortName: 'CN', value: `${name} root` },
      { shortName: 'O', value: 'trustflow sandbox' },
    ];
    this.root = {
      key: rootKeys.priv,
      cert: sign(rootSubject, rootSubject, rootKeys.pub, rootKeys.priv, Date.now() - 60_000, Date.now() + 3650 * DAY, true),
    };
    this.intermediate = this.newIntermediate(5 * 365 * DAY);
  }

  get rootPem(): string {
    return forge.pki.certificateToPem(this.root.cert);
  }

  issue(o: IssueOptions): IssuedChain {
    const ca = o.caValidForMs !== undefined ? this.newIntermediate(o.caValidForMs) : this.intermediate;
    const keys = keyPair();
    const now = Math.floor((o.notBeforeMs ?? Date.now()) / 1000) * 1000;
    const subject = [
      { shortName: 'CN', value: `sandbox credential ${randomBytes(3).toString('hex')}` },
      { type: '2.5.4.10', value: o.organization ?? 'ТОО Песочница', valueTagClass: forge.asn1.Type.UTF8 as unknown as number },
      { shortName: 'C', value: 'KZ' },
    ];
    const cert = sign(subject, ca.cert.subject.attributes, keys.pub, ca.key, now, now + o.validForMs, false);
    const leafPem = forge.pki.certificateToPem(cert);
    const keyPem = forge.pki.privateKeyToPem(keys.priv);
    return {
      leafPem,
      keyPem,
      chainPem: leafPem + forge.pki.certificateToPem(ca.cert),
      notAfter: cert.validity.notAfter.toISOString(),
      pkcs12: (password) =>
        Buffer.from(
          forge.asn1
            .toDer(forge.pkcs12.toPkcs12Asn1(keys.priv, [cert, ca.cert], password, { algorithm: 'aes256', friendlyName: 'sandbox' }))
            .getBytes(),
          'binary',
        ),
    };
  }

  private newIntermediate(validForMs: number): Ca {
    const keys = keyPair();
    const subject = [
      { shortName: 'CN', value: `${this.name} intermediate ${randomBytes(2).toString('hex')}` },
      { shortName: 'O', value: 'trustflow sandbox' },
    ];
    const now = Math.floor(Date.now() / 1000) * 1000;
    return {
      key: keys.priv,
      cert: sign(subject, this.root.cert.subject.attributes, keys.pub, this.root.key, now - 60_000, now + validForMs, true),
    };
  }
}

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string),
    priv: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string),
  };
}

function sign(
  subject: forge.pki.CertificateField[],
  issuer: forge.pki.CertificateField[],
  publicKey: forge.pki.PublicKey,
  signingKey: forge.pki.rsa.PrivateKey,
  notBefore: number,
  notAfter: number,
  isCa: boolean,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(notBefore);
  cert.validity.notAfter = new Date(notAfter);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  cert.setExtensions(
    isCa
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, critical: true },
        ],
  );
  cert.sign(signingKey, forge.md.sha256.create());
  return cert;
}
