// decryptCms: the one entry point for CMS EnvelopedData decryption. GOST recipients (Kontur's
// EncryptedKey) are decrypted in-process when the message is GOST 28147-89 key transport
// (crypto/cms/gost-enveloped.ts: what Kontur and `openssl cms -encrypt -gost89` write), otherwise through
// OpenSSL + gost-engine; RSA recipients (PKCS#1 v1.5 key transport, which
// Node 20 refuses) through node-forge. A wrong key always fails: the key is checked against the
// recipient certificate first (once per key: the checked key is kept in key-cache.ts), and OpenSSL runs with -recip and -debug_decrypt, because without the
// latter OpenSSL "decrypts" with a random key and exits 0 when the key does not fit (its defence
// against oracle attacks), handing back garbage.
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import forge from 'node-forge';
import { cmsToDer } from './shared.js';
import { decryptGostKeyTransport, gostPrivateKeyForCertificate, type GostPrivateKey } from './gost-enveloped.js';
import { elementsOf, oidToString, publicKeyAlgorithmOidOf, TAG } from './der.js';
import { GOST_KEY_OIDS, runGostOpenssl } from '../openssl-gost-engine.js';
import { OpensslError, withPrivateTempDir } from '../openssl.js';
import { keyCache } from '../keys/key-cache.js';
import { openPkcs12 } from '../keys/pkcs12.js';
import { FailureType, TrustflowError } from '../../common/errors.js';

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

/** The key algorithm OID of a certificate (PEM or DER). */
export function publicKeyAlgorithmOf(certificate: Buffer | string): { oid: string } {
  return { oid: publicKeyAlgorithmOidOf(new X509Certificate(certificate).raw) };
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

const ENVELOPED_DATA = '1.2.840.113549.1.7.3';
const RECIPIENT_KIND_BY_TAG: Record<number, 'keyTrans' | 'keyAgree'> = { [TAG.sequence]: 'keyTrans', [TAG.context(1)]: 'keyAgree' };

/** The RecipientInfo kinds of an EnvelopedData, or [] when it is not one. */
export function recipientKinds(message: Buffer): ('keyTrans' | 'keyAgree' | 'other')[] {
  try {
    // DER (what Kontur and OpenSSL send) is walked directly, in microseconds.
    const [contentType, content] = elementsOf(message);
    if (!contentType || oidToString(contentType) !== ENVELOPED_DATA || content?.[0] !== TAG.context(0)) return [];
    const [enveloped] = elementsOf(content);
    const fields = elementsOf(enveloped ?? Buffer.alloc(0));
    // EnvelopedData ::= SEQUENCE { version, originatorInfo [0] OPTIONAL, recipientInfos SET, ... }
    const recipientInfos = fields[fields[1]?.[0] === TAG.context(0) ? 2 : 1];
    if (recipientInfos?.[0] !== TAG.set) return [];
    return elementsOf(recipientInfos).map((r) => RECIPIENT_KIND_BY_TAG[r[0]!] ?? 'other');
  } catch {
    return recipientKindsBer(message); // indefinite lengths (BER): the full parser
  }
}

function recipientKindsBer(message: Buffer): ('keyTrans' | 'keyAgree' | 'other')[] {
  try {
    const asn1 = asn1js.fromBER(new Uint8Array(message));
    const info = new pkijs.ContentInfo({ schema: asn1.result });
    if (info.contentType !== pkijs.ContentInfo.ENVELOPED_DATA) return [];
    const env = new pkijs.EnvelopedData({ schema: info.content });
    return env.recipientInfos.map((r) => (r.variant === 1 ? 'keyTrans' : r.variant === 2 ? 'keyAgree' : 'other'));
  } catch {
    return [];
  }
}

/**
 * A checked GOST key: for in-process decryption when its curve is supported, and as OpenSSL will
 * read it per message (PKCS#8 under a passphrase that lives only in memory) for everything else.
 */
interface CheckedGostKey {
  inProcess: GostPrivateKey | undefined;
  encryptedPem: Buffer;
  passphrase: string;
}

/**
 * The recipient's private key, checked once against the recipient certificate (compared as OpenSSL
 * normalises public keys), then kept in the key cache: unlocking a GOST PBE PKCS#12 costs ~150 ms
 * of OpenSSL, a decryption ~15 ms. OpenSSL's `cms` reads its key from a file only, so the key is
 * re-encrypted (PBES2, AES-256) under a random passphrase held in this process's memory: the copy
 * written for each message is useless without it, and the unencrypted key only ever moves over
 * pipes.
 */
async function checkedGostKey(p: DecryptCmsParams, certificatePem: string): Promise<CheckedGostKey> {
  const password = p.key.password;
  const keyBytes = p.key.format === 'pkcs12' ? p.key.der : Buffer.from(p.key.pem);
  const certificateDer = new X509Certificate(certificatePem).raw;
  const slot = `gost-decryption-key\0${createHash('sha256').update(certificateDer).digest('hex')}`;
  return keyCache.use(slot, [p.key.format, keyBytes, password ?? '', certificateDer], async () => {
    const env: Record<string, string> = password !== undefined ? { TF_KEY_PASSWORD: password } : {};
    const passin = password !== undefined ? ['-passin', 'env:TF_KEY_PASSWORD'] : [];
    // Without -in, OpenSSL reads standard input.
    const plain =
      p.key.format === 'pkcs12'
        ? await runGostOpenssl(['pkcs12', '-nocerts', '-nodes', ...passin], { env, stdin: keyBytes }).catch((err: unknown) => {
            throw err instanceof OpensslError && /mac verify failure|invalid password/i.test(err.stderr)
              ? new CmsDecryptError('PKCS#12: wrong password (integrity check failed)', 'bad-password')
              : new CmsDecryptError('PKCS#12: cannot be read with OpenSSL and gost-engine', 'bad-input');
          })
        : await runGostOpenssl(['pkey', ...passin], { env, stdin: keyBytes }).catch((err: unknown) => {
            throw err instanceof OpensslError && /bad decrypt|password/i.test(err.stderr)
              ? new CmsDecryptError('private key: wrong password', 'bad-password')
              : new CmsDecryptError('private key: not a readable PEM PKCS#8 key', 'bad-input');
          });
    const passphrase = randomBytes(32).toString('base64url');
    const [fromKey, fromCert, encrypted] = await Promise.all([
      runGostOpenssl(['pkey', '-pubout'], { stdin: plain.stdout }),
      runGostOpenssl(['x509', '-noout', '-pubkey'], { stdin: Buffer.from(certificatePem) }),
      // One PBKDF2 iteration: the passphrase is 256 random bits, stretching it would add nothing but ~5 ms a message.
      runGostOpenssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-iter', '1', '-passout', 'env:TF_CACHE_PASSPHRASE'], {
        env: { TF_CACHE_PASSPHRASE: passphrase },
        stdin: plain.stdout,
      }),
    ]).catch((err: unknown) => {
      throw err instanceof OpensslError ? new CmsDecryptError('private key: not a key OpenSSL and gost-engine can use', 'bad-input') : err;
    });
    if (!fromKey.stdout.equals(fromCert.stdout)) {
      plain.stdout.fill(0);
      throw new CmsDecryptError('the private key does not belong to the recipient certificate', 'key-mismatch');
    }
    const pkcs8 = pemBody(plain.stdout);
    const inProcess = gostPrivateKeyForCertificate(pkcs8, certificateDer);
    pkcs8.fill(0);
    plain.stdout.fill(0);
    return { inProcess, encryptedPem: encrypted.stdout, passphrase };
  });
}

/** The DER inside a single-block PEM. */
const pemBody = (pem: Buffer) => Buffer.from(pem.toString('latin1').replace(/-----[^-]+-----/g, ''), 'base64');

async function decryptGost(der: Buffer, p: DecryptCmsParams): Promise<Buffer> {
  const certificatePem = toPem(p.certificate);
  const key = await checkedGostKey(p, certificatePem);
  if (key.inProcess && !p.originator) {
    const result = decryptGostKeyTransport(der, new X509Certificate(certificatePem).raw, key.inProcess);
    if (result === 'not-for-this-recipient')
      throw new CmsDecryptError("the message is not addressed to this certificate's key, or it is damaged", 'not-for-this-recipient');
    if (result !== 'unsupported') return result;
  }
  // Everything else: one OpenSSL process per message.
  return withPrivateTempDir(async (_dir, writePrivate) => {
    const args = [
      'cms',
      '-decrypt',
      '-debug_decrypt',
      '-binary',
      '-inform',
      'DER',
      '-recip',
      await writePrivate('recipient.pem', certificatePem),
      '-inkey',
      await writePrivate('key.pem', key.encryptedPem),
      '-passin',
      'env:TF_CACHE_PASSPHRASE',
    ];
    if (p.originator) args.push('-originator', await writePrivate('originator.pem', toPem(p.originator)));
    try {
      // The message on standard input (no -in).
      return (await runGostOpenssl(args, { env: { TF_CACHE_PASSPHRASE: key.passphrase }, stdin: der })).stdout;
    } catch (err) {
      if (err instanceof OpensslError && err.exitCode === 4) {
        throw new CmsDecryptError("the message is not addressed to this certificate's key, or it is damaged", 'not-for-this-recipient');
      }
      if (err instanceof OpensslError) throw new CmsDecryptError('the message is not a CMS EnvelopedData OpenSSL can read', 'bad-input');
      throw err;
    }
  });
}

async function decryptRsa(der: Buffer, p: DecryptCmsParams): Promise<Buffer> {
  const cert = new X509Certificate(p.certificate);
  const keyBytes = p.key.format === 'pkcs12' ? p.key.der : Buffer.from(p.key.pem);
  const slot = `rsa-decryption-key\0${createHash('sha256').update(cert.raw).digest('hex')}`;
  const key = await keyCache.use(slot, [p.key.format, keyBytes, p.key.password ?? '', cert.raw], () => {
    let opened;
    try {
      opened =
        p.key.format === 'pkcs12'
          ? openPkcs12(p.key.der, p.key.password, 'PKCS#12').privateKey
          : createPrivateKey({ key: p.key.pem, ...(p.key.password !== undefined ? { passphrase: p.key.password } : {}) });
    } catch (err) {
      throw new CmsDecryptError(
        `private key: ${/password/i.test((err as Error).message) ? 'wrong password' : 'cannot be read'}`,
        /password/i.test((err as Error).message) ? 'bad-password' : 'bad-input',
      );
    }
    if (!cert.checkPrivateKey(opened))
      throw new CmsDecryptError('the private key does not belong to the recipient certificate', 'key-mismatch');
    return opened;
  });
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
