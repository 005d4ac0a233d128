// Opens a DecryptionKeySpec: reads the files, resolves the password reference, and finds the
// certificate (inside the PKCS#12 or the CryptoPro container when the key is one). Errors name
// paths and references only.
import { KeyStoreError } from '../../common/errors.js';
import type { SecretResolver } from '../../secrets/resolve.js';
import { CmsDecryptError, type DecryptionKey } from '../cms/decrypt.js';
import type { DecryptionKeySpec } from '../../contracts/decryption-key-spec.js';
import { runGostOpenssl } from '../openssl-gost-engine.js';
import { OpensslError } from '../openssl.js';
import { keyCache, readKeyFile, type KeyFile } from './key-cache.js';
import { pickContainerKey } from './cryptopro-container.js';
import { isCryptoProContainerPath, openCryptoProContainerFolder } from './cryptopro-container-folder.js';

export interface OpenedDecryptionKey {
  key: DecryptionKey;
  /** PEM of the key's certificate. */
  certificate: Buffer;
}

async function readOrExplain(path: string, what: string): Promise<KeyFile> {
  try {
    return await readKeyFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeyStoreError(`${path}: cannot read the ${what} (${code === 'ENOENT' ? 'it does not exist on the worker machine' : code})`);
  }
}

export async function openDecryptionKey(spec: DecryptionKeySpec, resolveSecret: SecretResolver): Promise<OpenedDecryptionKey> {
  if (spec.kind === 'cryptopro') return openContainerKey(spec, resolveSecret);
  if (isCryptoProContainerPath(spec.path))
    throw new KeyStoreError(
      `${spec.path} is a CryptoPro key container (or one of its files), not a ${spec.kind === 'pem' ? 'PEM key' : 'PKCS#12 file'}: give the key as { kind: 'cryptopro', path: '<the container folder>' }`,
    );
  const keyFile = await readOrExplain(spec.path, 'key file');
  if (spec.kind === 'pem') {
    const certificate = (await readOrExplain(spec.certificate, 'certificate')).bytes;
    const password = spec.password ? await resolveSecret(spec.password) : undefined;
    return { key: { format: 'pem', pem: keyFile.bytes, ...(password !== undefined ? { password } : {}) }, certificate };
  }
  const password = await resolveSecret(spec.password);
  // The certificate of the key: OpenSSL with gost-engine reads GOST PBE and AES files alike. Kept in
  // the key cache: unlocking a GOST PBE file costs ~150 ms, and each konturSignIn opens it twice.
  const certificate = await keyCache.use(
    `decryption-key-certificate\0${spec.path}\0${spec.password}`,
    [keyFile.identity, keyFile.bytes, password],
    async () => {
      let pem: Buffer;
      try {
        pem = (
          await runGostOpenssl(['pkcs12', '-nokeys', '-clcerts', '-passin', 'env:TF_KEY_PASSWORD'], {
            env: { TF_KEY_PASSWORD: password },
            stdin: keyFile.bytes,
          })
        ).stdout;
      } catch (err) {
        if (err instanceof OpensslError && /mac verify failure|invalid password/i.test(err.stderr)) {
          throw new KeyStoreError(
            `${spec.path}: wrong password (the PKCS#12 integrity check failed); check the secret behind ${spec.password}`,
          );
        }
        if (err instanceof OpensslError) throw new KeyStoreError(`${spec.path}: not a PKCS#12 file OpenSSL can read`);
        throw err;
      }
      if (!pem.includes('BEGIN CERTIFICATE')) throw new KeyStoreError(`${spec.path}: the PKCS#12 file holds no certificate for its key`);
      return pem;
    },
  );
  return { key: { format: 'pkcs12', der: keyFile.bytes, password }, certificate };
}

/**
 * A CryptoPro container's key, read in-process (cryptopro-container.ts) and handed on as PKCS#8
 * PEM held in memory only; its certificate is the container's own or the file the spec names
 * (which must then carry the key's public key).
 */
async function openContainerKey(
  spec: Extract<DecryptionKeySpec, { kind: 'cryptopro' }>,
  resolveSecret: SecretResolver,
): Promise<OpenedDecryptionKey> {
  const password = spec.password ? await resolveSecret(spec.password) : '';
  const keys = await openCryptoProContainerFolder(spec.path, password, spec.password);
  const { key, info, warning } = keys[pickContainerKey(keys, spec.keyUsage, spec.path)]!;
  if (warning) console.warn(`trustflow: ${warning}`);
  let certificate: Buffer;
  if (spec.certificate) {
    certificate = (await readOrExplain(spec.certificate, 'certificate')).bytes;
    let fits: boolean;
    try {
      fits = key.belongsTo(certificate);
    } catch {
      throw new KeyStoreError(`${spec.certificate}: not a readable certificate (PEM or DER)`);
    }
    if (!fits) throw new KeyStoreError(`${spec.certificate}: this certificate is not for the ${info.usage} key of ${spec.path}`);
  } else if (info.certificate) {
    certificate = Buffer.from(info.certificate.toString());
  } else {
    throw new KeyStoreError(
      `${spec.path}: the container stores no certificate for its ${info.usage} key: give the certificate file as key.certificate`,
    );
  }
  return { key: { format: 'pem', pem: Buffer.from(key.toPkcs8Pem()) }, certificate };
}

/** Maps decryption errors of a key named by `spec` to failures that say which file to fix. */
export function explainDecryptError(err: unknown, spec: DecryptionKeySpec): unknown {
  if (!(err instanceof CmsDecryptError)) return err;
  const where = spec.kind === 'pem' ? `${spec.path} / ${spec.certificate}` : spec.path;
  if (err.reason === 'bad-password' && spec.password)
    return new KeyStoreError(`${where}: ${err.message}; check the secret behind ${spec.password}`);
  return new KeyStoreError(`${where}: ${err.message}`);
}
