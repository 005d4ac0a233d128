// The signer interface every flow signs through, and the factory that opens one from a spec.
// It works at the level of a whole CMS because that is what external signers give back
// (NCALayer's createCAdESFromBase64, NCANode's /cms/sign, `openssl cms -sign`). The signature
// algorithm follows the key: RSA → SHA-256 with RSA (cms.ts), Kazakh GOST → its own hash and curve
// (crypto/cms/kz-gost.ts). Callers never choose.
import type { X509Certificate } from 'node:crypto';
import type { SecretResolver } from '../../secrets/resolve.js';
import { signCmsRsaSha256 } from '../cms/sign.js';
import { signCmsKzGost, type KzGostCmsProfile } from '../cms/kz-gost.js';
import { openKeyStoreFile, type KeyStore } from './pkcs12.js';
import type { SignerSpec } from '../../contracts/signer-spec.js';
import { FailureType, KeyStoreError } from '../../common/errors.js';

export interface CmsSigner {
  /** Non-secret description of the signing certificate, for logs and results. */
  readonly certificate: X509Certificate;
  /** For logs and results: 'RSA' or the Kazakh GOST standard's name. */
  readonly algorithm: string;
  signCms(content: Uint8Array, options: { detached: boolean }): Promise<Buffer>;
}

export async function openSigner(spec: SignerSpec, resolveSecret: SecretResolver): Promise<CmsSigner> {
  switch (spec.kind) {
    case 'pkcs12':
      return cmsSignerOf(await openKeyStoreFile(spec.path, spec.password, resolveSecret), spec.path, spec.gostCms);
  }
}

/** A CMS signer for an opened key store; the algorithm is the key's. `gostProfile` applies to Kazakh GOST keys only. */
export function cmsSignerOf(store: KeyStore, label: string, gostProfile?: Partial<KzGostCmsProfile>): CmsSigner {
  const certificate = store.certificates[0]!;
  const { key, certificates } = store;
  if (key.kind === 'kz-gost')
    return {
      certificate,
      algorithm: key.gost.algorithm.name,
      signCms: async (content, { detached }) =>
        signCmsKzGost({ content, key: key.gost, certificates, detached, ...(gostProfile ? { profile: gostProfile } : {}) }),
    };
  if (key.keyObject.asymmetricKeyType !== 'rsa')
    throw new KeyStoreError(
      `${label}: holds a ${key.keyObject.asymmetricKeyType?.toUpperCase()} key; CMS signing takes RSA or Kazakh GOST keys`,
      FailureType.UnsupportedKey,
    );
  return {
    certificate,
    algorithm: 'RSA',
    signCms: async (content, { detached }) => signCmsRsaSha256({ content, privateKey: key.keyObject, certificates, detached }),
  };
}
