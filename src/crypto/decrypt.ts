// decryptCms: the one entry point for CMS EnvelopedData decryption. GOST recipients (Kontur's
// EncryptedKey) go through OpenSSL + gost-engine; RSA recipients (PKCS#1 v1.5 key transport, which
// Node 20 refuses) through node-forge. A wrong key always fails: the key is checked against the
// recipient certificate first, and OpenSSL runs with -recip and -debug_decrypt, because without the
// latter OpenSSL "decrypts" with a random key and exits 0 when the key does not fit (its defence
// against oracle attacks), handing back garbage.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import forge from 'node-forge';
import { cmsToDer } from './cms.js';
import { GOST_KEY_OIDS, runGostOpenssl } from './gost.js';
import { OpensslError, withPrivateTempDir } from './openssl.js';
import { openPkcs12 } from './pkcs12.js';
import { FailureType, TrustflowError } from '../common/errors.js';

export class CmsDecryptError extends TrustflowError {
  override readonly name = 'CmsDecryptError';
  constructor(
    message: string,
    readonly reason: 'key-mismatch' | 'not-for-this-recipient' | 'bad-input' | 'unsupported-key' | 'bad-password',
  ) {
    const type =
      reason === 'unsupported-key'
        ? FailureType.UnsupportedKey
        : reason === 'bad-password'
          ? FailureType.KeyStoreUnreadable
          : FailureType.DecryptionFailed;
    super(message, type, false);
  }
}

export type DecryptionKey =
  /** PEM: PKCS#8 (encrypted or not); for RSA also PKCS#1. */
  | { format: 'pem'; pem: Buffer | string; password?: string }
  /** PKCS#12, including GOST PBE (gost89 + Streebog MAC) files. */
  | { format: 'pkcs12'; der: Buffer; password: string };

export interface DecryptCmsParams {
  /** EnvelopedData as DER, PEM or base64. */
  cms: Buffer | string;
  key: DecryptionKey;
  /** The recipient certificate, PEM or DER. */
  certificate: Buffer | string;
  /** The originator's certificate, for key agreement (KeyAgreeRecipientInfo) messages. */
  originator?: Buffer | string;
}

const toPem = (cert: Buffer | string) => new X509Certificate(cert).toString();

export function publicKeyAlgorithmOf(certificate: Buffer | string): { oid: string; spkiDer: Buffer } {
  const cert = pkijs.Certificate.fromBER(new Uint8Array(new X509Certificate(certificate).raw));
  return {
    oid: cert.subjectPublicKeyInfo.algorithm.algorithmId,
    spkiDer: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
  };
}

export async function decryptCms(p: DecryptCmsParams): Promise<Buffer> {
  let der: Buffer;
  let oid: string;
  try {
    der = cmsToDer(p.cms);
    oid = publicKeyAlgorithmOf(p.certificate).oid;
  } catch {
    throw new CmsDecryptError('the message or the certificate cannot be read (expected DER, PEM or base64)', 'bad-input');
  }
  const kinds = recipientKinds(der);
  if (kinds.length === 0) throw new CmsDecryptError('the message is not a CMS EnvelopedData', 'bad-input');
  // OpenSSL + gost-engine crashes (SIGSEGV) on a key-agreement message without -originator.
  if (kinds.every((k) => k === 'keyAgree') && !p.originator) {
    throw new CmsDecryptError("this is a key-agreement message: it also needs --originator (the sender's certificate)", 'bad-input');
  }
  if (GOST_KEY_OIDS.has(oid)) return decryptGost(der, p);
  if (oid === '1.2.840.113549.1.1.1') return decryptRsa(der, p);
  throw new CmsDecryptError(
    `recipient certificates with key algorithm ${oid} are not supported (GOST R 34.10-2012/2001 or RSA)`,
    'unsupported-key',
  );
}

/** The RecipientInfo kinds of an EnvelopedData, or [] when it is not one. */
export function recipientKinds(der: Buffer): ('keyTrans' | 'keyAgree' | 'other')[] {
  try {
    const asn1 = asn1js.fromBER(new Uint8Array(der));
    const info = new pkijs.ContentInfo({ schema: asn1.result });
    if (info.contentType !== pkijs.ContentInfo.ENVELOPED_DATA) return [];
    const env = new pkijs.EnvelopedData({ schema: info.content });
    return env.recipientInfos.map((r) => (r.variant === 1 ? 'keyTrans' : r.variant === 2 ? 'keyAgree' : 'other'));
  } catch {
    return [];
  }
}

async function decryptGost(der: Buffer, p: DecryptCmsParams): Promise<Buffer> {
  return withPrivateTempDir(async (_dir, writePrivate) => {
    const env: Record<string, string> = {};
    const passin: string[] = [];
    let keyPath: string;
    if (p.key.format === 'pkcs12') {
      const p12 = await writePrivate('key.p12', p.key.der);
      env.TF_KEY_PASSWORD = p.key.password;
      const { stdout } = await runGostOpenssl(['pkcs12', '-in', p12, '-nocerts', '-nodes', '-passin', 'env:TF_KEY_PASSWORD'], {
        env,
      }).catch((err: unknown) => {
        throw err instanceof OpensslError && /mac verify failure|invalid password/i.test(err.stderr)
          ? new CmsDecryptError('PKCS#12: wrong password (integrity check failed)', 'bad-password')
          : new CmsDecryptError('PKCS#12: cannot be read with OpenSSL and gost-engine', 'bad-input');
      });
      keyPath = await writePrivate('key.pem', stdout);
    } else {
      keyPath = await writePrivate('key.pem', p.key.pem);
      if (p.key.password !== undefined) {
        env.TF_KEY_PASSWORD = p.key.password;
        passin.push('-passin', 'env:TF_KEY_PASSWORD');
      }
    }
    const certPath = await writePrivate('recipient.pem', toPem(p.certificate));

    const inPath = await writePrivate('message.der', der);
    const args = [
      'cms',
      '-decrypt',
      '-debug_decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      inPath,
      '-recip',
      certPath,
      '-inkey',
      keyPath,
      ...passin,
    ];
    if (p.originator) args.push('-originator', await writePrivate('originator.pem', toPem(p.originator)));

    // In parallel (each OpenSSL start loads the engine): the key must be the certificate's, compared
    // as OpenSSL normalises public keys; nothing decrypted is returned unless it is.
    const [fromKey, fromCert, decrypted] = await Promise.all([
      runGostOpenssl(['pkey', '-in', keyPath, '-pubout', ...passin], { env }).catch((err: unknown) => {
        throw err instanceof OpensslError && /bad decrypt|password/i.test(err.stderr)
          ? new CmsDecryptError('private key: wrong password', 'bad-password')
          : new CmsDecryptError('private key: not a readable PEM PKCS#8 key', 'bad-input');
      }),
      runGostOpenssl(['x509', '-in', certPath, '-noout', '-pubkey']),
      runGostOpenssl(args, { env }).then(
        (r) => r.stdout,
        (err: unknown) => err,
      ),
    ]);
    if (!fromKey.stdout.equals(fromCert.stdout)) {
      throw new CmsDecryptError('the private key does not belong to the recipient certificate', 'key-mismatch');
    }
    if (Buffer.isBuffer(decrypted)) return decrypted;
    if (decrypted instanceof OpensslError && decrypted.exitCode === 4) {
      throw new CmsDecryptError("the message is not addressed to this certificate's key, or it is damaged", 'not-for-this-recipient');
    }
    if (decrypted instanceof OpensslError)
      throw new CmsDecryptError('the message is not a CMS EnvelopedData OpenSSL can read', 'bad-input');
    throw decrypted;
  });
}

async function decryptRsa(der: Buffer, p: DecryptCmsParams): Promise<Buffer> {
  const cert = new X509Certificate(p.certificate);
  let key;
  try {
    key =
      p.key.format === 'pkcs12'
        ? openPkcs12(p.key.der, p.key.password, 'PKCS#12').privateKey
        : createPrivateKey({ key: p.key.pem, ...(p.key.password !== undefined ? { passphrase: p.key.password } : {}) });
  } catch (err) {
    throw new CmsDecryptError(
      `private key: ${/password/i.test((err as Error).message) ? 'wrong password' : 'cannot be read'}`,
      /password/i.test((err as Error).message) ? 'bad-password' : 'bad-input',
    );
  }
  if (!cert.checkPrivateKey(key)) throw new CmsDecryptError('the private key does not belong to the recipient certificate', 'key-mismatch');
  let message: forge.pkcs7.PkcsEnvelopedData;
  try {
    message = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString('binary'))) as forge.pkcs7.PkcsEnvelopedData;
  } catch {
    throw new CmsDecryptError('the message is not a CMS EnvelopedData', 'bad-input');
  }
  const recipient = message.findRecipient(forge.pki.certificateFromPem(cert.toString()));
  if (!recipient) throw new CmsDecryptError("the message is not addressed to this certificate's key", 'not-for-this-recipient');
  try {
    message.decrypt(recipient, forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }) as string));
  } catch {
    throw new CmsDecryptError('the message could not be decrypted with this key (damaged?)', 'not-for-this-recipient');
  }
  return Buffer.from((message as unknown as { content: forge.util.ByteStringBuffer }).content.getBytes(), 'binary');
}

/**
 * CryptoPro CSP keeps keys in containers (a folder with header.key, primary.key, masks.key...)
 * that nothing outside CryptoPro reads. Say so clearly instead of failing on the bytes.
 */
export async function assertNotCryptoProContainer(path: string): Promise<void> {
  const markers = ['header.key', 'primary.key', 'masks.key', 'name.key'];
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const names = isDir ? await readdir(path).catch(() => [] as string[]) : [basename(path)];
  if (names.some((n) => markers.includes(n.toLowerCase()))) {
    throw new CmsDecryptError(
      `${isDir ? path : join(path, '..')} looks like a CryptoPro key container, which is not supported: export the key ` +
        'with its certificate to PKCS#12 (.pfx) in CryptoPro CSP (or with a tool able to read the container) and use that file',
      'unsupported-key',
    );
  }
}
