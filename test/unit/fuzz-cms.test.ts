// Property-based (fast-check) tests of the CMS readers under random and damaged messages:
// src/crypto/cms/ (cmsToDer, verifyCmsDer, verifyCms), src/crypto/cms/gost-enveloped.ts (GOST key
// transport) and src/crypto/cms/decrypt.ts (recipientKinds). Damage never makes a signature valid for
// other content or another signer. Mutators and samples: test/helpers/fuzz.ts.
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk) counterexample.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TrustflowError } from '../../src/common/errors.js';
import {
  decryptGostKeyTransport,
  encryptGostKeyTransport,
  gostPrivateKeyForCertificate,
  gostRecipient,
} from '../../src/crypto/cms/gost-enveloped.js';
import { cmsToDer, type CmsVerification } from '../../src/crypto/cms/shared.js';
import { signCmsRsaSha256 } from '../../src/crypto/cms/sign.js';
import { verifyCms, verifyCmsDer } from '../../src/crypto/cms/verify.js';
import { recipientKinds } from '../../src/crypto/cms/decrypt.js';
import * as der from '../../src/crypto/cms/der.js';
import { bigintToLe, CRYPTOPRO_A } from '../../src/crypto/gost/curves.js';
import {
  byteMutation,
  damaged,
  describeError,
  ecCert,
  mutateBytes,
  mutateTree,
  NAME,
  rsaCert,
  rsaKey,
  timed,
  timedAsync,
  treeMutation,
  vectors,
} from '../helpers/fuzz.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

describe('CMS under random and damaged messages', () => {
  const content = Buffer.from('KZ challenge: 8fJ2kQ0pLmN3 — вторая строка');
  interface Signed {
    cms: Buffer;
    detached: boolean;
    signer: Buffer;
  }
  let signed: Signed[];
  before(async () => {
    signed = [];
    for (const detached of [false, true])
      signed.push({
        cms: await signCmsRsaSha256({ content, privateKey: rsaKey.privateKey, certificates: [rsaCert, ecCert], detached }),
        detached,
        signer: rsaCert.raw,
      });
  });

  it('cmsToDer: any bytes or text gives bytes, never an exception; DER, PEM and base64 of a CMS give its DER', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 })),
        fc.uint8Array({ maxLength: 200 }),
        (input, body) => {
          const out = timed(200, 'cmsToDer', () => cmsToDer(input));
          assert.ok(out.ok && Buffer.isBuffer(out.value), describeError(!out.ok && out.error));
          const cms = Buffer.concat([Buffer.from([0x30]), body]);
          const b64 = cms.toString('base64');
          assert.deepEqual(cmsToDer(cms), cms);
          assert.deepEqual(cmsToDer(`-----BEGIN CMS-----\n${b64.replace(/.{64}/g, '$&\n')}\n-----END CMS-----\n`), cms);
          assert.deepEqual(cmsToDer(Buffer.from(`-----BEGIN PKCS7-----\r\n${b64}\r\n-----END PKCS7-----`)), cms);
          assert.deepEqual(cmsToDer(` ${b64}\n`), cms);
        },
      ),
      { numRuns: 200 },
    );
  });

  /** What a CmsVerification must say about itself, and that damage never makes it vouch for other content or another signer. */
  function assertConsistent(v: CmsVerification, s: Signed | undefined, detachedContent: Buffer | undefined) {
    assert.equal(typeof v.signatureValid, 'boolean');
    assert.ok(Number.isInteger(v.signerCount) && v.signerCount >= 0);
    assert.ok(Array.isArray(v.certificates) && v.certificates.every((c) => c instanceof X509Certificate));
    if (!v.signatureValid) {
      assert.ok(
        ['not-signed-data', 'content-missing', 'content-mismatch', 'signature-invalid'].includes(v.problem!),
        `problem ${v.problem}`,
      );
      assert.equal(typeof v.reason, 'string');
      return;
    }
    assert.equal(v.problem, undefined);
    // The signature cannot be forged by damage: valid means the content and signer key are the originals.
    assert.ok(s, 'random bytes verified as a valid signature');
    assert.deepEqual(v.encapsulatedContent ?? detachedContent, content, 'valid for content that was never signed');
    assert.ok(v.signerCertificate?.publicKey.equals(new X509Certificate(s.signer).publicKey), 'valid for another signer key');
  }

  it('verifyCmsDer (the fast path): undefined or a consistent verification, never an exception, never valid for other content', async (t) => {
    const published = vectors(t, 'tc26_cms', /^signed_.*\.pem$/) ?? [];
    fc.assert(
      fc.property(
        fc.nat(signed.length + published.length - 1),
        fc.array(treeMutation, { maxLength: 3 }),
        fc.array(byteMutation, { maxLength: 2 }),
        fc.option(fc.uint8Array({ maxLength: 300 })),
        fc.boolean(),
        (i, tree, bytes, random, giveContent) => {
          const s = random ? undefined : signed[i];
          const sample = random ? Buffer.from(random) : (s?.cms ?? published[i - signed.length]!);
          const message = bytes.reduce<Buffer>(mutateBytes, tree.length && !random ? mutateTree(sample, tree) : sample);
          const detachedContent = giveContent ? content : undefined;
          const out = timed(1000, 'verifyCmsDer', () => verifyCmsDer(message, detachedContent));
          assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
          if (out.value) assertConsistent(out.value, s, detachedContent);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('verifyCms: damage never makes a signature valid for other content or another signer', async (t) => {
    const published = vectors(t, 'tc26_cms', /^signed_.*\.pem$/) ?? [];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(signed.length + published.length - 1),
        fc.array(treeMutation, { maxLength: 3 }),
        fc.array(byteMutation, { maxLength: 2 }),
        fc.boolean(),
        async (i, tree, bytes, giveContent) => {
          const s = signed[i];
          const sample = s?.cms ?? published[i - signed.length]!;
          const message = bytes.reduce<Buffer>(mutateBytes, tree.length ? mutateTree(sample, tree) : sample);
          const detachedContent = giveContent ? content : undefined;
          const out = await timedAsync(2000, 'verifyCms', () => verifyCms(message, detachedContent));
          if (out.ok) assertConsistent(out.value, s, detachedContent); // exceptions: the property below
        },
      ),
      { numRuns: 250 },
    );
  });

  it('verifyCms: a damaged CMS ends in a verification saying what is wrong, never in an exception', {}, async () => {
    const published = vectors('optional', 'tc26_cms', /^signed_.*\.pem$/) ?? [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...signed.map((s) => s.cms), ...published),
        fc.array(treeMutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (sample, tree, giveContent) => {
          const out = await timedAsync(2000, 'verifyCms', () => verifyCms(mutateTree(sample, tree), giveContent ? content : undefined));
          assert.ok(out.ok || out.error instanceof TrustflowError, `threw ${describeError(!out.ok && out.error)}`);
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
  });

  // A GOST R 34.10-2012 recipient on the CryptoPro A curve, built here: its certificate needs only the
  // fields crypto/cms/gost-enveloped.ts reads (issuer, serial, SubjectPublicKeyInfo), so it is not signed.
  const d = 0x1f2e3d4c5b6a79880123456789abcdef0f1e2d3c4b5a69788796a5b4c3d2e1f0n % CRYPTOPRO_A.Point.CURVE().n;
  const Q = CRYPTOPRO_A.Point.BASE.multiply(d).toAffine();
  const gostAlgorithm = der.sequence(der.oid('1.2.643.7.1.1.1.1'), der.sequence(der.oid('1.2.643.2.2.35.1'), der.oid('1.2.643.7.1.1.2.2')));
  const gostCert = der.sequence(
    der.sequence(
      der.tlv(der.TAG.context(0), der.smallInteger(2)),
      der.tlv(der.TAG.integer, Buffer.from([0x11, 0x22])),
      der.sequence(der.oid('1.2.643.7.1.1.3.2')),
      NAME,
      der.sequence(der.time(new Date('2024-01-01T00:00:00Z')), der.time(new Date('2044-01-01T00:00:00Z'))),
      NAME,
      der.sequence(gostAlgorithm, der.tlv(0x03, Buffer.from([0]), der.tlv(der.TAG.octetString, bigintToLe(Q.x, 32), bigintToLe(Q.y, 32)))),
    ),
    der.sequence(der.oid('1.2.643.7.1.1.3.2')),
    der.tlv(0x03, Buffer.from([0])),
  );
  const gostKey = gostPrivateKeyForCertificate(
    der.sequence(der.smallInteger(0), gostAlgorithm, der.tlv(der.TAG.octetString, bigintToLe(d, 32))),
    gostCert,
  )!;
  const recipient = gostRecipient(gostCert)!;

  it('GOST key transport: any plaintext goes there and back (sanity of the samples below)', () => {
    assert.ok(gostKey && recipient, 'the built key belongs to the built certificate');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (plaintext) => {
        const message = encryptGostKeyTransport(plaintext, recipient);
        assert.deepEqual(recipientKinds(message), ['keyTrans']);
        assert.deepEqual(decryptGostKeyTransport(message, gostCert, gostKey), Buffer.from(plaintext));
      }),
      { numRuns: 25 },
    );
  });

  it("decryptGostKeyTransport: damaged messages give a Buffer, 'unsupported' or 'not-for-this-recipient', never an exception", async (t) => {
    const published = vectors(t, 'tc26_cms', /^encrypted_.*\.pem$/) ?? [];
    const samples = [encryptGostKeyTransport(Buffer.from('the one-time value'), recipient), ...published];
    fc.assert(
      fc.property(damaged(samples, { tree: true }), (message) => {
        const out = timed(1000, 'decryptGostKeyTransport', () => decryptGostKeyTransport(message, gostCert, gostKey));
        assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
        assert.ok(Buffer.isBuffer(out.value) || out.value === 'unsupported' || out.value === 'not-for-this-recipient', String(out.value));
      }),
      { numRuns: 250 },
    );
  });

  it('recipientKinds: damaged EnvelopedData and anything else give a list of kinds, never an exception', async (t) => {
    const published = vectors(t, 'tc26_cms', /\.pem$/) ?? [];
    const samples = [encryptGostKeyTransport(Buffer.from('x'), recipient), ...signed.map((s) => s.cms), ...published];
    fc.assert(
      fc.property(damaged(samples, { tree: true }), (message) => {
        const out = timed(1000, 'recipientKinds', () => recipientKinds(message));
        assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
        assert.ok(Array.isArray(out.value) && out.value.every((k) => ['keyTrans', 'keyAgree', 'other'].includes(k)));
      }),
      { numRuns: 250 },
    );
  });
});
