// k-of-n protection of a key container's password, the way KPSIS (after bee2's `kg`/`pwd share:`)
// does it, with real primitives standing in for the Belarusian ones: Shamir's scheme over GF(2^8)
// (shamir-secret-sharing, audited) instead of bels (STB 34.101.60), and each share wrapped in its own
// PKCS#8 EncryptedPrivateKeyInfo (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, node-forge) under its
// holder's password instead of belt-PBKDF2/belt-KWP (STB 34.101.78). Passwords are taken as UTF-8
// bytes, like OpenSSL's `-passin`, so any PKCS#8 tool with the password opens a shard's envelope.
import { combine, split } from 'shamir-secret-sharing';
import forge from 'node-forge';
import { InvalidInputError, KeyStoreError } from '../../common/errors.js';

/**
 * The AlgorithmIdentifier OID inside a shard's PrivateKeyInfo: "trustflow sandbox: a secret share".
 * A UUID-based OID (arc 2.25, ITU-T X.667), which needs no registration and collides with nothing.
 * (bee2 puts bels shares in the same envelope; its own OID for them is not used here, because the
 * bytes inside are Shamir shares of this library, not bels shares.)
 */
export const SECRET_SHARE_OID = '2.25.285024381174853882207947677287901950702';

/** Most shares a secret is split into: bels (STB 34.101.60) allows 16, and so does KPSIS. */
export const MAX_SHARDS = 16;
/** Fewest PBKDF2 iterations accepted: bee2 refuses fewer than 10000 for password containers. */
export const MIN_SHARD_ITERATIONS = 10_000;

const asn1 = forge.asn1;

/** DER content bytes of an OID (forge's own encoder is limited to 32-bit arcs; 2.25 arcs are 128-bit). */
function oidContent(oid: string): string {
  const arcs = oid.split('.').map((a) => BigInt(a));
  const [first, second, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const bytes = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  }
  return String.fromCharCode(...out);
}
const SHARE_OID_CONTENT = oidContent(SECRET_SHARE_OID);

const binary = (bytes: Uint8Array) => Buffer.from(bytes).toString('binary');

/** PrivateKeyInfo { version 0, AlgorithmIdentifier { SECRET_SHARE_OID }, privateKey OCTET STRING share }. */
function sharePrivateKeyInfo(share: Uint8Array): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(0).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, SHARE_OID_CONTENT),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, binary(share)),
  ]);
}

/** The share bytes of a decrypted PrivateKeyInfo, or undefined when it is not one of ours. */
function shareOf(info: forge.asn1.Asn1): Uint8Array | undefined {
  const parts = info.value;
  if (info.type !== asn1.Type.SEQUENCE || !Array.isArray(parts) || parts.length < 3) return undefined;
  const [version, algorithm, key] = parts as [forge.asn1.Asn1, forge.asn1.Asn1, forge.asn1.Asn1];
  if (version.type !== asn1.Type.INTEGER || version.value !== '\x00') return undefined;
  const oid = Array.isArray(algorithm.value) ? (algorithm.value[0] as forge.asn1.Asn1 | undefined) : undefined;
  if (oid?.type !== asn1.Type.OID || oid.value !== SHARE_OID_CONTENT) return undefined;
  if (key.type !== asn1.Type.OCTETSTRING || typeof key.value !== 'string' || key.value.length < 2) return undefined;
  return new Uint8Array(Buffer.from(key.value, 'binary'));
}

/**
 * Splits `secret` into n = passwords.length shares (threshold k) with Shamir's scheme
 * (shamir-secret-sharing), each wrapped as an "ENCRYPTED PRIVATE KEY" PEM (PKCS#8
 * EncryptedPrivateKeyInfo, PBES2: PBKDF2-HMAC-SHA256 with `iterations`, 8-byte random salt,
 * AES-256-CBC) under its holder's password: shard i belongs to passwords[i].
 * Throws InvalidInputError for 2 ≤ k ≤ n ≤ 16, iterations ≥ 10000 or empty secret/password violations.
 */
export async function protectSecretWithShards(
  secret: Uint8Array,
  passwords: string[],
  threshold: number,
  iterations: number,
): Promise<string[]> {
  const n = passwords.length;
  if (!(secret instanceof Uint8Array) || secret.length === 0) throw new InvalidInputError('the secret to share must be non-empty bytes');
  if (n < 2 || n > MAX_SHARDS) throw new InvalidInputError(`need 2..${MAX_SHARDS} passwords (one per shard), got ${n}`);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > n)
    throw new InvalidInputError(`threshold must be an integer in 2..${n} (the number of shards)`);
  if (!Number.isInteger(iterations) || iterations < MIN_SHARD_ITERATIONS)
    throw new InvalidInputError(`iterations must be an integer ≥ ${MIN_SHARD_ITERATIONS}`);
  passwords.forEach((p, i) => {
    if (typeof p !== 'string' || p.length === 0) throw new InvalidInputError(`password ${i + 1} is empty`);
  });

  // shamir-secret-sharing checks `constructor === Uint8Array`: a Buffer (a subclass) is refused.
  const plain = Uint8Array.from(secret);
  const shares = await split(plain, n, threshold).finally(() => plain.fill(0));
  try {
    return shares.map((share, i) => {
      const encrypted = forge.pki.encryptPrivateKeyInfo(sharePrivateKeyInfo(share), forge.util.encodeUtf8(passwords[i]!), {
        algorithm: 'aes256',
        count: iterations,
        prfAlgorithm: 'sha256',
        saltSize: 8,
      });
      // forge writes CRLF line ends; the PEM the service returns is plain LF.
      return forge.pki.encryptedPrivateKeyToPem(encrypted).replace(/\r\n/g, '\n');
    });
  } finally {
    for (const share of shares) share.fill(0);
  }
}

/**
 * Opens the given shards (PEM + its holder's password each) and recombines the secret.
 * A wrong password or a damaged shard throws KeyStoreError naming the shard's position in `shards`
 * (1-based), never the password; a shard given twice throws KeyStoreError too.
 * Fewer shards than the threshold are NOT detectable here: Shamir's scheme then yields a wrong
 * value of the right length, and the caller finds out when the container it protects fails to open.
 */
export async function recoverSecretFromShards(shards: { pem: string; password: string }[]): Promise<Uint8Array> {
  if (shards.length < 2) throw new InvalidInputError(`at least 2 shards are needed to recover a secret, got ${shards.length}`);
  const shares = shards.map(({ pem, password }, i) => {
    const position = `shard ${i + 1} of ${shards.length}`;
    let info: forge.asn1.Asn1 | null;
    try {
      const encrypted = forge.pki.encryptedPrivateKeyFromPem(pem);
      info = forge.pki.decryptPrivateKeyInfo(encrypted, forge.util.encodeUtf8(password)) as forge.asn1.Asn1 | null;
    } catch {
      // Not an ENCRYPTED PRIVATE KEY PEM, an unsupported scheme, or a wrong password whose
      // padding happened to look valid and left undecodable bytes.
      info = null;
    }
    const share = info ? shareOf(info) : undefined;
    if (!share)
      throw new KeyStoreError(`${position} could not be opened: wrong password, or not a secret shard (damaged or another kind of key)`);
    return share;
  });
  try {
    return await combine(shares);
  } catch (err) {
    throw new KeyStoreError(
      `the shards do not combine: ${(err as Error).message} (the same shard given twice, or shards of different secrets)`,
    );
  } finally {
    for (const share of shares) share.fill(0);
  }
}
