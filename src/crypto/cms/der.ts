// The small DER writer the RSA CMS signer uses (sign.ts), and the one reader it needs: a
// certificate's issuer and serial number as their original bytes. Building SignedData through
// pkijs objects cost ~2.5 ms per signature (most of it re-encoding the certificates), ten times the
// RSA signature itself; writing the few fixed fields directly costs microseconds and embeds
// certificates and names byte for byte as issued (Cyrillic NCA names included).

/** One DER TLV with a definite length (short or long form). */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else {
    const lengthBytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
    header = [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  }
  return Buffer.concat([Buffer.from(header), body]);
}

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  /** [n] constructed, context-specific (EXPLICIT, or IMPLICIT of a constructed type). */
  context: (n: number) => 0xa0 | n,
} as const;

export const sequence = (...items: Uint8Array[]) => tlv(TAG.sequence, ...items);

/** DER SET OF: elements sorted by their encodings (X.690 11.6). */
export const setOf = (...items: Uint8Array[]) => tlv(TAG.set, ...[...items].sort(Buffer.compare));

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new Error(`not an OID: ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) chunk.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(TAG.oid, Buffer.from(bytes));
}

export const smallInteger = (n: number) => {
  if (!Number.isInteger(n) || n < 0 || n > 127) throw new Error('smallInteger: 0..127 only');
  return tlv(TAG.integer, Buffer.from([n]));
};

/** UTCTime for 1950–2049 (RFC 5280 4.1.2.5, CMS signingTime), GeneralizedTime after. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z';
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(TAG.utcTime, Buffer.from(digits.slice(2), 'ascii'));
  return tlv(TAG.generalizedTime, Buffer.from(digits, 'ascii'));
}

/** The instant of a UTCTime or GeneralizedTime TLV (UTC, "Z" form, as DER requires); undefined otherwise. */
export function timeOf(tlvBytes: Uint8Array): Date | undefined {
  const text = contentOf(tlvBytes).toString('ascii');
  const m =
    tlvBytes[0] === TAG.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : tlvBytes[0] === TAG.generalizedTime
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text)
        : null;
  if (!m) return undefined;
  const year = tlvBytes[0] === TAG.utcTime ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  const d = new Date(Date.UTC(2000, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  d.setUTCFullYear(year); // Date.UTC would read years 0–99 as 1900–1999
  return d;
}

/** The elements of a DER constructed value, each as its whole TLV. @throws on malformed input. */
export function elementsOf(der: Uint8Array): Buffer[] {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const [, bodyStart, bodyEnd] = header(buf, 0);
  const out: Buffer[] = [];
  for (let at = bodyStart; at < bodyEnd;) {
    const end = header(buf, at)[2];
    if (end > bodyEnd) throw new Error('DER: element overruns its parent');
    out.push(buf.subarray(at, end));
    at = end;
  }
  return out;
}

function header(buf: Buffer, at: number): [tag: number, bodyStart: number, bodyEnd: number] {
  if (at + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not expected here');
  const first = buf[at + 1]!;
  if (first < 0x80) {
    if (at + 2 + first > buf.length) throw new Error('DER: truncated');
    return [tag, at + 2, at + 2 + first];
  }
  const count = first & 0x7f;
  if (count === 0 || count > 4 || at + 2 + count > buf.length) throw new Error('DER: unsupported length');
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + buf[at + 2 + i]!;
  const end = at + 2 + count + length;
  if (end > buf.length) throw new Error('DER: truncated');
  return [tag, at + 2 + count, end];
}

/** The content octets of one TLV (its value without tag and length). */
export function contentOf(tlvBytes: Uint8Array): Buffer {
  const buf = Buffer.from(tlvBytes.buffer, tlvBytes.byteOffset, tlvBytes.byteLength);
  const [, start, end] = header(buf, 0);
  return buf.subarray(start, end);
}

/** The dotted form of an OBJECT IDENTIFIER TLV. @throws when it is not one. */
export function oidToString(tlvBytes: Uint8Array): string {
  const buf = Buffer.from(tlvBytes.buffer, tlvBytes.byteOffset, tlvBytes.byteLength);
  const [tag, start, end] = header(buf, 0);
  if (tag !== TAG.oid || end <= start) throw new Error('DER: not an OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = start; i < end; i++) {
    value = (value << 7n) | BigInt(buf[i]! & 0x7f);
    if ((buf[i]! & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  if ((buf[end - 1]! & 0x80) !== 0) throw new Error('DER: truncated OBJECT IDENTIFIER');
  const first = arcs.shift()!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

/** The algorithm OID of a certificate's SubjectPublicKeyInfo (Node cannot read GOST keys, this can). */
export function publicKeyAlgorithmOidOf(certificateDer: Uint8Array): string {
  const [tbs] = elementsOf(certificateDer);
  if (!tbs) throw new Error('certificate: no TBSCertificate');
  const fields = elementsOf(tbs);
  const i = fields[0]?.[0] === TAG.context(0) ? 1 : 0;
  const spki = fields[i + 5];
  if (spki?.[0] !== TAG.sequence) throw new Error('certificate: unexpected TBSCertificate layout');
  const [algorithm] = elementsOf(spki);
  const [algorithmOid] = elementsOf(algorithm ?? Buffer.alloc(0));
  return oidToString(algorithmOid ?? Buffer.alloc(0));
}

/** A certificate's issuer Name and serialNumber INTEGER, as the exact TLVs of its DER. */
export function issuerAndSerialOf(certificateDer: Uint8Array): { issuer: Buffer; serialNumber: Buffer } {
  const [tbs] = elementsOf(certificateDer);
  if (!tbs) throw new Error('certificate: no TBSCertificate');
  const fields = elementsOf(tbs);
  // version [0] EXPLICIT is optional (absent in v1 certificates).
  const i = fields[0]?.[0] === TAG.context(0) ? 1 : 0;
  const serialNumber = fields[i];
  const issuer = fields[i + 2];
  if (serialNumber?.[0] !== TAG.integer || issuer?.[0] !== TAG.sequence) throw new Error('certificate: unexpected TBSCertificate layout');
  return { issuer, serialNumber };
}
