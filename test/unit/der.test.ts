// The small DER writer and reader (src/crypto/cms/der.ts) against asn1js and pkijs: OIDs, lengths,
// times, SET OF ordering, malformed input, and a certificate's issuer, serial and key algorithm.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  elementsOf,
  issuerAndSerialOf,
  oid,
  oidToString,
  publicKeyAlgorithmOidOf,
  sequence,
  setOf,
  smallInteger,
  TAG,
  time,
  tlv,
} from '../../src/crypto/cms/der.js';
import { openPkcs12 } from '../../src/crypto/keys/pkcs12.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const hex = (b: Uint8Array | ArrayBuffer) => Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b).toString('hex');

const OIDS = ['1.2.840.113549.1.7.2', '2.16.840.1.101.3.4.2.1', '1.2.398.3.10.1.1.1.2', '2.999.1', '0.9.2342.19200300.100.1.1'];

describe('oid / oidToString', () => {
  for (const dotted of OIDS) {
    it(`encodes ${dotted} as asn1js does, and reads it back`, () => {
      const expected = new asn1js.ObjectIdentifier({ value: dotted }).toBER();
      assert.equal(hex(oid(dotted)), hex(expected));
      assert.equal(oidToString(oid(dotted)), dotted);
      // And reads what asn1js wrote.
      assert.equal(oidToString(new Uint8Array(expected)), dotted);
    });
  }

  it('known encodings byte for byte', () => {
    assert.equal(hex(oid('1.2.840.113549.1.7.2')), '06092a864886f70d010702');
    assert.equal(hex(oid('2.999.1')), '0603883701');
  });

  it('reads an OID that sits inside a larger buffer (a subarray)', () => {
    const outer = sequence(oid('1.2.840.113549.1.7.2'), oid('2.999.1'));
    const [a, b] = elementsOf(outer);
    assert.equal(oidToString(a!), '1.2.840.113549.1.7.2');
    assert.equal(oidToString(b!), '2.999.1');
  });

  it('refuses what is not an OBJECT IDENTIFIER', () => {
    assert.throws(() => oidToString(tlv(TAG.octetString, Buffer.from([0x2a, 0x03]))), /not an OBJECT IDENTIFIER/);
    assert.throws(() => oidToString(smallInteger(5)), /not an OBJECT IDENTIFIER/);
    assert.throws(() => oidToString(Buffer.from([0x06, 0x00])), /not an OBJECT IDENTIFIER/); // empty
    assert.throws(() => oidToString(Buffer.from([0x06, 0x02, 0x2a, 0x86])), /truncated OBJECT IDENTIFIER/); // last arc unfinished
    assert.throws(() => oidToString(Buffer.from([0x06])), /truncated/);
  });

  it('refuses a dotted string with fewer than two arcs', () => {
    assert.throws(() => oid('1'), /not an OID/);
  });
});

describe('tlv lengths', () => {
  for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
    it(`${n} content bytes: the same encoding as asn1js's OCTET STRING`, () => {
      const content = Buffer.alloc(n);
      for (let i = 0; i < n; i++) content[i] = (i * 7 + 3) & 0xff;
      const expected = new asn1js.OctetString({ valueHex: new Uint8Array(content) }).toBER();
      const ours = tlv(TAG.octetString, content);
      assert.equal(ours.length, expected.byteLength);
      assert.ok(
        ours.equals(Buffer.from(expected)),
        `header ${hex(ours.subarray(0, 6))} vs ${hex(new Uint8Array(expected).subarray(0, 6))}`,
      );
      // And the reader finds its end.
      const [inner] = elementsOf(sequence(ours));
      assert.ok(inner!.equals(ours));
    });
  }

  it('concatenates several contents', () => {
    assert.equal(hex(tlv(0x30, Buffer.from([1]), Buffer.from([2, 3]))), '3003010203');
  });
});

describe('time', () => {
  const cases: [string, number, string][] = [
    ['2049-12-31T23:59:59Z', TAG.utcTime, '491231235959Z'],
    ['2050-01-01T00:00:00Z', TAG.generalizedTime, '20500101000000Z'],
    ['1950-01-01T00:00:00Z', TAG.utcTime, '500101000000Z'],
    ['1949-12-31T23:59:59Z', TAG.generalizedTime, '19491231235959Z'],
    ['2024-02-29T12:34:56.789Z', TAG.utcTime, '240229123456Z'],
  ];
  for (const [iso, tag, text] of cases) {
    it(`${iso} → ${tag === TAG.utcTime ? 'UTCTime' : 'GeneralizedTime'} ${text}`, () => {
      const der = time(new Date(iso));
      assert.equal(der[0], tag);
      assert.equal(der[1], text.length);
      assert.equal(der.subarray(2).toString('ascii'), text);
    });
  }

  it('asn1js reads the UTCTime and GeneralizedTime back to the same instant (to the second)', () => {
    for (const iso of ['2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '1950-06-15T08:09:10Z']) {
      const parsed = asn1js.fromBER(new Uint8Array(time(new Date(iso))));
      assert.equal(parsed.offset, time(new Date(iso)).length);
      const result = parsed.result as asn1js.UTCTime | asn1js.GeneralizedTime;
      assert.equal(result.toDate().toISOString(), new Date(iso).toISOString());
    }
  });
});

describe('setOf', () => {
  it('sorts its elements by their encodings, whatever the order given', () => {
    const a = smallInteger(5); // 02 01 05
    const b = tlv(TAG.octetString, Buffer.from([0])); // 04 01 00
    const c = oid('2.5.4.3'); // 06 03 55 04 03
    const d = smallInteger(1); // 02 01 01
    const expected = tlv(TAG.set, d, a, b, c);
    for (const order of [
      [a, b, c, d],
      [c, b, a, d],
      [d, c, a, b],
    ]) {
      const given = [...order];
      assert.equal(hex(setOf(...order)), hex(expected));
      assert.deepEqual(order, given, 'the caller array is not reordered');
    }
    assert.equal(setOf(a, b)[0], 0x31);
  });

  it('a shorter encoding that is a prefix of a longer one comes first', () => {
    const short = tlv(0x04, Buffer.from([1]));
    const long = Buffer.concat([short, Buffer.from([0])]); // not a real TLV: just the comparison rule
    assert.equal(hex(setOf(long, short)), hex(tlv(TAG.set, short, long)));
  });
});

describe('elementsOf', () => {
  it('returns each element as its whole TLV', () => {
    const items = [smallInteger(1), oid('1.2.840.113549.1.7.2'), tlv(TAG.octetString, Buffer.alloc(300, 0xab))];
    const parts = elementsOf(sequence(...items));
    assert.equal(parts.length, 3);
    parts.forEach((p, i) => assert.ok(p.equals(items[i]!)));
    assert.deepEqual(elementsOf(sequence()), []);
  });

  it('works on a subarray of a larger buffer', () => {
    const inner = sequence(smallInteger(7));
    const buf = Buffer.concat([Buffer.from([0xff, 0xff]), inner, Buffer.from([0xee])]);
    const [only] = elementsOf(buf.subarray(2, 2 + inner.length));
    assert.ok(only!.equals(smallInteger(7)));
  });

  it('rejects truncated input', () => {
    assert.throws(() => elementsOf(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x00])), /truncated/); // parent longer than the bytes
    assert.throws(() => elementsOf(Buffer.from([0x30])), /truncated/);
    assert.throws(() => elementsOf(Buffer.alloc(0)), /truncated/);
    assert.throws(() => elementsOf(Buffer.from([0x30, 0x82, 0x01])), /DER/); // long-form length cut off
  });

  it('rejects a short-form length that runs past the end of the input', () => {
    assert.throws(() => oidToString(Buffer.from([0x06, 0x05, 0x2a])), /truncated/);
    assert.throws(() => elementsOf(Buffer.from([0x30, 0x04, 0x02, 0x02, 0x01])), /truncated/);
  });

  it('rejects an element that overruns its parent', () => {
    // SEQUENCE of length 3 holding an INTEGER that claims 2 bytes (ends at 6, parent at 5).
    assert.throws(() => elementsOf(Buffer.from([0x30, 0x03, 0x02, 0x02, 0x01, 0x00])), /overruns its parent/);
    // A single dangling byte at the end of the parent.
    assert.throws(() => elementsOf(Buffer.from([0x30, 0x04, 0x02, 0x01, 0x00, 0x05, 0x00])), /overruns|truncated/);
  });

  it('rejects an indefinite length', () => {
    assert.throws(() => elementsOf(Buffer.from([0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00])), /unsupported length/);
  });
});

describe('certificate fields', () => {
  it('issuerAndSerialOf and publicKeyAlgorithmOidOf on the NCA RK RSA certificate, as pkijs reads them', async (t) => {
    const dir = vectorsOrSkip(t, 'nca');
    if (!dir) return;
    const path = join(dir, 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12');
    const raw = openPkcs12(await readFile(path), 'Qwerty12', path).certificates[0]!.raw;
    const cert = pkijs.Certificate.fromBER(raw);
    const ours = issuerAndSerialOf(raw);
    assert.equal(hex(ours.issuer), hex(cert.issuer.toSchema().toBER(false)));
    assert.equal(hex(ours.serialNumber), hex(cert.serialNumber.toBER(false)));
    // The issuer bytes are a slice of the certificate itself (byte for byte as issued).
    assert.ok(raw.includes(ours.issuer));
    assert.equal(ours.issuer[0], TAG.sequence);
    assert.equal(ours.serialNumber[0], TAG.integer);
    // Node agrees on the serial.
    const node = new X509Certificate(raw);
    const serialHex = ours.serialNumber.subarray(2).toString('hex').replace(/^00/, '').toUpperCase();
    assert.equal(serialHex, node.serialNumber.toUpperCase().replace(/^0+/, '').padStart(serialHex.length, '0'));
    assert.equal(publicKeyAlgorithmOidOf(raw), '1.2.840.113549.1.1.1');
    assert.equal(publicKeyAlgorithmOidOf(raw), cert.subjectPublicKeyInfo.algorithm.algorithmId);
  });

  for (const [file, expected] of [
    ['recipient256_cert.pem', '1.2.643.7.1.1.1.1'],
    ['recipient512_cert.pem', '1.2.643.7.1.1.1.2'],
  ] as const) {
    it(`publicKeyAlgorithmOidOf on the TC26 ${file}: ${expected}`, async (t) => {
      const dir = vectorsOrSkip(t, 'tc26_cms');
      if (!dir) return;
      const raw = new X509Certificate(await readFile(join(dir, file))).raw;
      assert.equal(publicKeyAlgorithmOidOf(raw), expected);
      const cert = pkijs.Certificate.fromBER(raw);
      assert.equal(publicKeyAlgorithmOidOf(raw), cert.subjectPublicKeyInfo.algorithm.algorithmId);
      const ours = issuerAndSerialOf(raw);
      assert.equal(hex(ours.issuer), hex(cert.issuer.toSchema().toBER(false)));
      assert.equal(hex(ours.serialNumber), hex(cert.serialNumber.toBER(false)));
    });
  }

  it('refuses what is not a certificate', () => {
    assert.throws(() => issuerAndSerialOf(sequence(sequence(smallInteger(1)))), /unexpected TBSCertificate layout/);
    assert.throws(() => publicKeyAlgorithmOidOf(sequence(sequence(smallInteger(1)))), /unexpected TBSCertificate layout/);
    assert.throws(() => issuerAndSerialOf(sequence()), /no TBSCertificate/);
  });
});
