// Property-based (fast-check) tests of the X.509 DER readers under random and damaged certificates:
// src/crypto/cms/der.ts (a value or its own DER error; round trips) and src/common/x509-der.ts (derOf,
// certificateFacts, certificationRequestFacts: facts or DerFormatError). Mutators and samples:
// test/helpers/fuzz.ts.
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk) counterexample.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { certificateFacts, certificationRequestFacts, derOf, DerFormatError } from '../../src/common/x509-der.js';
import * as der from '../../src/crypto/cms/der.js';
import { certificationRequest, damaged, describeError, ecCert, ecKey, rsaCert, selfSigned, timed, vectors } from '../helpers/fuzz.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

const csr = certificationRequest(ecKey, 'api.example.by', ['api.example.by', '*.example.by']);

describe('X.509 DER readers under random and damaged certificates', () => {
  const certificates = (t: TestContext | 'optional') => [
    rsaCert.raw,
    ecCert.raw,
    ...(vectors(t, 'nca', /\.(cer|crt)$/) ?? []),
    ...(vectors(t, 'tc26_cms', /_cert\.pem$/) ?? []),
  ];

  /** der.ts documents "@throws on malformed input": its own Error ('DER: …', 'certificate: …'), nothing else. */
  const assertDerError = (e: unknown) =>
    assert.ok(
      e instanceof Error && e.constructor === Error && /^(DER|certificate): /.test(e.message),
      `not der.ts's own error: ${describeError(e)}`,
    );

  it('der.ts (elementsOf, contentOf, oidToString, timeOf, publicKeyAlgorithmOidOf, issuerAndSerialOf): a value or its own DER error', (t) => {
    const readers = [der.elementsOf, der.contentOf, der.oidToString, der.timeOf, der.publicKeyAlgorithmOidOf, der.issuerAndSerialOf];
    fc.assert(
      fc.property(damaged(certificates(t), { tree: true }), (bytes) => {
        for (const read of readers) {
          const out = timed(200, read.name, () => read(bytes));
          if (!out.ok) assertDerError(out.error);
        }
        // On a certificate they agree with Node's parser.
        let node: X509Certificate | undefined;
        try {
          node = new X509Certificate(bytes);
        } catch {
          return;
        }
        // der.ts may be stricter than OpenSSL (which reads, e.g., a SEQUENCE tag without its constructed
        // bit): its own error is a fine answer there; where both read the certificate they must agree.
        let ours: ReturnType<typeof der.issuerAndSerialOf>;
        try {
          ours = der.issuerAndSerialOf(bytes);
        } catch (e) {
          assertDerError(e);
          return;
        }
        // The serial as a signed (two's complement) INTEGER; Node writes a negative one as '-80'.
        const octets = der.contentOf(ours.serialNumber);
        const unsigned = octets.length ? BigInt(`0x${octets.toString('hex')}`) : 0n;
        const signed = octets[0]! & 0x80 ? unsigned - (1n << BigInt(8 * octets.length)) : unsigned;
        const nodeSerial = node.serialNumber.startsWith('-')
          ? -BigInt(`0x${node.serialNumber.slice(1)}`)
          : BigInt(`0x${node.serialNumber}`);
        assert.equal(signed, nodeSerial);
      }),
      { numRuns: 400 },
    );
  });

  it('der.ts round trips: oid ↔ oidToString, tlv ↔ elementsOf/contentOf, time ↔ timeOf (years 100-9999)', () => {
    const arc = fc.oneof(fc.nat(200), fc.bigInt({ min: 0n, max: 2n ** 80n }));
    const dotted = fc
      .tuple(fc.nat(2), fc.nat(39), fc.array(arc, { maxLength: 8 }))
      .map(([a, b, rest]) => [a, b, ...rest].map(String).join('.'));
    const element = fc.tuple(fc.constantFrom(0x02, 0x04, 0x0c, 0x30, 0x31, 0xa0), fc.uint8Array({ maxLength: 300 }));
    const date = fc.date({ min: new Date('0100-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
    fc.assert(
      fc.property(dotted, fc.array(element, { maxLength: 6 }), date, (oid, elements, when) => {
        assert.equal(der.oidToString(der.oid(oid)), oid);
        const tlvs = elements.map(([tag, body]) => der.tlv(tag, body));
        const seq = der.sequence(...tlvs);
        assert.deepEqual(der.elementsOf(seq), tlvs);
        elements.forEach(([, body], i) => assert.deepEqual(der.contentOf(tlvs[i]!), Buffer.from(body)));
        const second = new Date(Math.floor(when.getTime() / 1000) * 1000);
        assert.equal(der.timeOf(der.time(second))?.toISOString(), second.toISOString());
      }),
      { numRuns: 300 },
    );
  });

  it('der.ts time ↔ timeOf also for years 0-99 (GeneralizedTime)', {}, () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('0099-12-31T23:59:59Z'), noInvalidDate: true }),
        (when) => {
          const second = new Date(Math.floor(when.getTime() / 1000) * 1000);
          assert.equal(der.timeOf(der.time(second))?.toISOString(), second.toISOString());
        },
      ),
      { numRuns: 50, endOnFailure: true },
    );
  });

  it('derOf: PEM (any label, any line length) and base64 give the bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.constantFrom('CERTIFICATE', 'CERTIFICATE REQUEST', 'X509 CRL', 'PKCS7'),
        fc.integer({ min: 4, max: 80 }),
        (bytes, label, width) => {
          const b64 = Buffer.from(bytes).toString('base64');
          const lines = b64.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\r\n');
          assert.deepEqual(Buffer.from(derOf(`-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`)), Buffer.from(bytes));
          assert.deepEqual(Buffer.from(derOf(` ${b64}\n`)), Buffer.from(bytes));
          assert.equal(derOf(bytes), bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('certificateFacts / certificationRequestFacts read back what was written (serial, validity, key, subject, DNS names)', () => {
    const dns = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){1,3}$/);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => Buffer.from([(b[0]! % 0x7f) + 1, ...b.subarray(1)])),
        fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.date({ min: new Date('1950-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes(',')),
        fc.array(dns, { maxLength: 5 }),
        (serial, from, to, commonName, dnsNames) => {
          const [notBefore, notAfter] = [from, to].map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));
          const facts = certificateFacts(selfSigned(ecKey, { serial, notBefore, notAfter }));
          assert.equal(facts.serialNumber, serial.toString('hex').toUpperCase());
          assert.equal(facts.notBefore, notBefore!.toISOString());
          assert.equal(facts.notAfter, notAfter!.toISOString());
          assert.equal(facts.publicKeyAlgorithm, 'EC P-256');
          assert.equal(facts.subjectPublicKeyInfo, ecKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
          const request = certificationRequestFacts(certificationRequest(ecKey, commonName, dnsNames));
          assert.equal(request.subject, `CN=${commonName}`);
          assert.deepEqual(
            request.subjectAltNames,
            dnsNames.map((n) => `DNS:${n}`),
          );
          assert.equal(request.subjectPublicKeyInfo, facts.subjectPublicKeyInfo);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('derOf / certificateFacts / certificationRequestFacts: any text and damaged DER give facts or DerFormatError', {}, () => {
    const samples = [...certificates('optional'), csr];
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.stringMatching(/^[A-Za-z0-9+/]{0,40}={0,3}$/),
      fc
        .constantFrom(...samples)
        .map((d) => `-----BEGIN CERTIFICATE-----\n${d.toString('base64').slice(0, -1)}\n-----END CERTIFICATE-----`),
    );
    fc.assert(
      fc.property(fc.oneof(damaged(samples, { tree: true }), text), (input) => {
        for (const read of [derOf, certificateFacts, certificationRequestFacts]) {
          const out = timed(500, read.name, () => read(input));
          assert.ok(out.ok || out.error instanceof DerFormatError, `${read.name} threw ${describeError(!out.ok && out.error)}`);
        }
      }),
      { numRuns: 400, endOnFailure: true },
    );
  });
});
