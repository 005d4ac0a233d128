// The CryptoPro PFX part of `trustflow key`: a PKCS#12 file whose key bag CryptoPro encrypted with
// its own PBE (1.2.840.113549.1.12.1.80), which OpenSSL and node-forge cannot open, read by
// crypto/keys/cryptopro-pfx.ts.
//
// INTERIM: cryptopro-pfx.ts is being written on another branch. Until it lands on main this module
// loads it at run time if present, typed by the signature agreed for it; once it is merged, the
// loader below becomes a static import.
import type { X509Certificate } from 'node:crypto';
import { KeyStoreError } from '../../common/errors.js';
import type { RuGostPrivateKey } from '../../crypto/keys/ru-gost-key.js';

interface CryptoProPfxModule {
  isCryptoProPfx(der: Uint8Array): boolean;
  /** Own certificate first. @throws KeyStoreError */
  openCryptoProPfx(
    der: Uint8Array,
    password: string,
    label: string,
    passwordRef?: string,
  ): { key: RuGostPrivateKey; certificates: X509Certificate[] };
}

const modulePath = '../../crypto/keys/cryptopro-pfx.js';
const pfx: CryptoProPfxModule | undefined = await import(modulePath).then(
  (m) => m as CryptoProPfxModule,
  () => undefined,
);

/** CryptoPro's PBE OID 1.2.840.113549.1.12.1.80, as DER: the interim test while cryptopro-pfx.ts is missing. */
const CRYPTOPRO_PBE = Buffer.from('060a2a864886f70d010c0150', 'hex');

/** True when a PKCS#12 file's key bag uses CryptoPro's PBE (readable without the password). */
export function isCryptoProPfxFile(der: Uint8Array): boolean {
  return pfx ? pfx.isCryptoProPfx(der) : Buffer.from(der).includes(CRYPTOPRO_PBE);
}

/**
 * The key of a CryptoPro PFX and its certificates, its own first.
 * @throws KeyStoreError wrong password, damaged file (and, until cryptopro-pfx.ts is merged, "cannot read those yet").
 */
export function openCryptoProPfxFile(
  der: Uint8Array,
  label: string,
  password: string,
  passwordRef: string | undefined,
): { key: RuGostPrivateKey; certificates: X509Certificate[] } {
  if (!pfx)
    throw new KeyStoreError(`${label}: a CryptoPro PFX; this build of trustflow cannot read those yet (crypto/keys/cryptopro-pfx.ts)`);
  return pfx.openCryptoProPfx(der, password, label, passwordRef);
}
