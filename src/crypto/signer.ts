// The signer interface every flow signs through, and the factory that opens one from a spec.
// It works at the level of a whole CMS because that is what external signers give back
// (NCALayer's createCAdESFromBase64, NCANode's /cms/sign, `openssl cms -sign`).
import type { X509Certificate } from 'node:crypto';
import type { SecretResolver } from '../secrets/resolve.js';
import { signCmsRsaSha256 } from './cms.js';
import { openPkcs12File } from './pkcs12.js';
import type { SignerSpec } from '../contracts/signer-spec.js';

export interface CmsSigner {
  /** Non-secret description of the signing certificate, for logs and results. */
  readonly certificate: X509Certificate;
  signCms(content: Uint8Array, options: { detached: boolean }): Promise<Buffer>;
}

export async function openSigner(spec: SignerSpec, resolveSecret: SecretResolver): Promise<CmsSigner> {
  switch (spec.kind) {
    case 'pkcs12': {
      const key = await openPkcs12File(spec.path, spec.password, resolveSecret);
      return {
        certificate: key.certificates[0]!,
        signCms: async (content, { detached }) =>
          signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached }),
      };
    }
  }
}
