// The signer interface every flow signs through, and the factory that opens one from a spec.
// It works at the level of a whole CMS because that is what external signers give back
// (NCALayer's createCAdESFromBase64, NCANode's /cms/sign, `openssl cms -sign`).
import { readFile } from 'node:fs/promises';
import type { X509Certificate } from 'node:crypto';
import { KeyStoreError } from '../common/errors.js';
import type { SecretResolver } from '../secrets/resolve.js';
import { signCmsRsaSha256 } from './cms.js';
import { openPkcs12 } from './pkcs12.js';
import type { SignerSpec } from './signer-spec.js';

export interface CmsSigner {
  /** Non-secret description of the signing certificate, for logs and results. */
  readonly certificate: X509Certificate;
  signCms(content: Uint8Array, options: { detached: boolean }): Promise<Buffer>;
}

export async function openSigner(spec: SignerSpec, resolveSecret: SecretResolver): Promise<CmsSigner> {
  switch (spec.kind) {
    case 'pkcs12': {
      let der: Buffer;
      try {
        der = await readFile(spec.path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new KeyStoreError(
          `${spec.path}: cannot read the PKCS#12 file (${code === 'ENOENT' ? 'it does not exist on the worker machine' : code})`,
        );
      }
      const password = await resolveSecret(spec.password);
      const key = openPkcs12(der, password, spec.path, spec.password);
      return {
        certificate: key.certificates[0]!,
        signCms: async (content, { detached }) =>
          signCmsRsaSha256({ content, privateKey: key.privateKey, certificates: key.certificates, detached }),
      };
    }
  }
}
