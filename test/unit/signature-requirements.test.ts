// checkPersonSignature (src/crypto/cms/signature-requirements.ts): real CMS from the project's own
// signers, over a sandbox RSA PKI (createSandboxPki: IIN in serialNumber) and a Kazakh GOST PKI
// (sandbox/kz-gost/pki.ts: IIN, BIN in OU, NCA's legal-entity EKUs), and NCA RK's published test keys.
import assert from 'node:assert/strict';
import { sign as nodeSign, X509Certificate, type KeyObject } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { checkPersonSignature, type SignatureRequirements } from '../../src/crypto/cms/signature-requirements.js';
import { signCmsRsaSha256 } from '../../src/crypto/cms/sign.js';
import { signCmsKzGost } from '../../src/crypto/cms/kz-gost.js';
import * as der from '../../src/crypto/cms/der.js';
import { OID } from '../../src/crypto/cms/shared.js';
import { generateKzGostKey, KZ_GOST, type KzGostPrivateKey } from '../../src/crypto/gost/kz-gost.js';
import { cmsSignerOf } from '../../src/crypto/keys/signer.js';
import { openKeyStore } from '../../src/crypto/keys/pkcs12.js';
import { createSandboxPki, type SandboxPki } from '../../src/sandbox/pki.js';
import { issueKzGostCertificate, NAME } from '../../src/sandbox/kz-gost/pki.js';
import { damaged, describeError, timedAsync } from '../helpers/fuzz.js';
import { vectorsOrSkip } from '../helpers/paths.js';

fc.configureGlobal({ includeErrorInReport: true });

const IIN = '890101300002';
const OTHER_IIN = '920315400000';
const BIN = '990140000010';
const AUTH = '1.3.6.1.5.5.7.3.2';
const INDIVIDUAL = '1.2.398.3.3.4.1.1';
const LEGAL_ENTITY = '1.2.398.3.3.4.1.2';
const DAY = 86_400_000;
const challenge = Buffer.from('trustflow /auth/key challenge 7b9e0c6a-2f1d-4c1e-9a55-0d3f4e2b8c11');

interface RsaSigner {
  certificates: X509Certificate[];
  privateKey: KeyObject;
}

async function rsaSigner(pki: SandboxPki, name: string): Promise<RsaSigner> {
  return rsaSignerOf(pki.users[name]!);
}

async function rsaSignerOf(user: SandboxPki['users'][string]): Promise<RsaSigner> {
  const password = (await readFile(user.passwordRef.slice('file:'.length), 'utf8')).trim();
  const store = openKeyStore(await readFile(user.p12Path), password, user.p12Path);
  assert.equal(store.key.kind, 'node');
  return { certificates: store.certificates, privateKey: (store.key as { keyObject: KeyObject }).keyObject };
}

const signRsa = (s: RsaSigner, content: Uint8Array, o: { detached?: boolean; signingTime?: Date } = {}) =>
  signCmsRsaSha256({ content, privateKey: s.privateKey, certificates: s.certificates, detached: o.detached ?? false, ...o });

/** A CMS whose SignerInfo has no signed attributes (so no signingTime): the signature is over the content itself. */
function signRsaWithoutAttributes(s: RsaSigner, content: Uint8Array): Buffer {
  const { issuer, serialNumber } = der.issuerAndSerialOf(s.certificates[0]!.raw);
  const sha256 = der.sequence(der.oid(OID.sha256), der.tlv(der.TAG.null));
  const signerInfo = der.sequence(
    der.smallInteger(1),
    der.sequence(issuer, serialNumber),
    sha256,
    der.sequence(der.oid(OID.sha256WithRsa), der.tlv(der.TAG.null)),
    der.tlv(der.TAG.octetString, nodeSign('sha256', content, s.privateKey)),
  );
  const signedData = der.sequence(
    der.smallInteger(1),
    der.setOf(sha256),
    der.sequence(der.oid(OID.data), der.tlv(der.TAG.context(0), der.tlv(der.TAG.octetString, Buffer.from(content)))),
    der.tlv(der.TAG.context(0), s.certificates[0]!.raw),
    der.setOf(signerInfo),
  );
  return der.sequence(der.oid(OID.signedData), der.tlv(der.TAG.context(0), signedData));
}

/** Two attached CMS over the same content merged into one with both SignerInfos and both certificates. */
function mergeSigners(a: Buffer, b: Buffer): Buffer {
  const fields = (cms: Buffer) => der.elementsOf(der.elementsOf(der.elementsOf(cms)[1]!)[0]!);
  const [version, digestAlgorithms, encap, certsA, signersA] = fields(a);
  const [, , , certsB, signersB] = fields(b);
  const signedData = der.sequence(
    version!,
    digestAlgorithms!,
    encap!,
    der.tlv(der.TAG.context(0), ...der.elementsOf(certsA!), ...der.elementsOf(certsB!)),
    der.setOf(...der.elementsOf(signersA!), ...der.elementsOf(signersB!)),
  );
  return der.sequence(der.oid(OID.signedData), der.tlv(der.TAG.context(0), signedData));
}

const flipLastByte = (cms: Buffer) => {
  const out = Buffer.from(cms);
  out[out.length - 1]! ^= 0x01;
  return out;
};

function assertRefused(result: Awaited<ReturnType<typeof checkPersonSignature>>, reason: string): string {
  assert.equal(result.ok, false, `expected a refusal (${reason}), got ${JSON.stringify(result)}`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.reason, reason, result.message);
  assert.ok(result.message.length > 0 && result.message.length < 240, result.message);
  return result.message;
}

describe('checkPersonSignature: sandbox RSA PKI (IIN in serialNumber)', () => {
  let dir: string;
  let pki: SandboxPki;
  let otherPki: SandboxPki;
  let person: RsaSigner;
  let other: RsaSigner;
  let requirements: SignatureRequirements;
  const now = new Date();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-personsig-'));
    pki = await createSandboxPki(join(dir, 'a'), [
      { name: 'person', commonName: 'ТЕСТОВ ТЕСТ', iin: IIN, encryption: 'legacy-3des' },
      { name: 'other', commonName: 'ДРУГОЙ ТЕСТ', iin: OTHER_IIN, encryption: 'legacy-3des' },
    ]);
    otherPki = await createSandboxPki(join(dir, 'b'), [], 'ДРУГОЙ УЦ (SANDBOX)');
    person = await rsaSigner(pki, 'person');
    other = await rsaSigner(pki, 'other');
    requirements = { iin: IIN, extKeyUsage: [AUTH], caBundle: [pki.caCertificate] };
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a good attached RSA signature of the challenge → ok, with the signer IIN; as DER and as base64', async () => {
    const cms = await signRsa(person, challenge);
    for (const input of [cms, cms.toString('base64')]) {
      const result = await checkPersonSignature(input, challenge, requirements, now);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.signer.iin, IIN);
      assert.equal(result.signer.bin, undefined);
      assert.equal(result.signer.serialNumber, person.certificates[0]!.serialNumber);
      assert.equal(result.signer.notAfter, new Date(person.certificates[0]!.validTo).toISOString());
      assert.match(result.signer.subject, /serialNumber=IIN890101300002/);
    }
  });

  it('a detached signature is checked against the challenge: ok for it, other-data for other bytes', async () => {
    const cms = await signRsa(person, challenge, { detached: true });
    assert.ok((await checkPersonSignature(cms, challenge, requirements, now)).ok);
    assertRefused(await checkPersonSignature(cms, Buffer.from('another challenge'), requirements, now), 'other-data');
  });

  it('a CMS over other data → other-data', async () => {
    const cms = await signRsa(person, Buffer.from('some other text'));
    assertRefused(await checkPersonSignature(cms, challenge, requirements, now), 'other-data');
  });

  it('a tampered signature byte → bad-signature', async () => {
    const cms = flipLastByte(await signRsa(person, challenge));
    assertRefused(await checkPersonSignature(cms, challenge, requirements, now), 'bad-signature');
  });

  it('a wrong IIN → wrong-signer, the message showing only the last 4 digits of each IIN', async () => {
    const cms = await signRsa(other, challenge);
    const message = assertRefused(await checkPersonSignature(cms, challenge, requirements, now), 'wrong-signer');
    assert.match(message, /expected IIN …0002, got …0000/);
    assert.ok(!message.includes(IIN.slice(0, 8)) && !message.includes(OTHER_IIN.slice(0, 8)), message);
  });

  it('a required BIN the certificate does not name → wrong-signer', async () => {
    const cms = await signRsa(person, challenge);
    const message = assertRefused(await checkPersonSignature(cms, challenge, { ...requirements, bin: BIN }, now), 'wrong-signer');
    assert.match(message, /expected BIN …0010, the certificate names no BIN/);
    assert.ok(!message.includes(BIN.slice(0, 8)));
  });

  it('a missing extended key usage → missing-eku, naming it', async () => {
    const cms = await signRsa(person, challenge);
    const message = assertRefused(
      await checkPersonSignature(cms, challenge, { ...requirements, extKeyUsage: [AUTH, INDIVIDUAL] }, now),
      'missing-eku',
    );
    assert.match(message, /1\.2\.398\.3\.3\.4\.1\.1/);
    assert.ok(!message.includes(AUTH), 'the present EKU is not named as missing');
  });

  it('a CA bundle without the signer CA → untrusted-chain; an empty bundle too', async () => {
    const cms = await signRsa(person, challenge);
    assertRefused(
      await checkPersonSignature(cms, challenge, { ...requirements, caBundle: [otherPki.caCertificate] }, now),
      'untrusted-chain',
    );
    assertRefused(await checkPersonSignature(cms, challenge, { ...requirements, caBundle: [] }, now), 'untrusted-chain');
  });

  it('no signingTime: the certificate at `now`: ok inside its validity, not-valid-at-signing-time after expiry', async () => {
    const cms = signRsaWithoutAttributes(person, challenge);
    assert.ok((await checkPersonSignature(cms, challenge, requirements, now)).ok);
    const later = new Date(new Date(person.certificates[0]!.validTo).getTime() + DAY);
    const message = assertRefused(await checkPersonSignature(cms, challenge, requirements, later), 'not-valid-at-signing-time');
    assert.match(message, /renew/);
  });

  it('signingTime decides over `now`: before notBefore → not-valid-at-signing-time; inside validity → ok even when `now` is past expiry', async () => {
    const notBefore = new Date(person.certificates[0]!.validFrom);
    const early = await signRsa(person, challenge, { signingTime: new Date(notBefore.getTime() - DAY) });
    assertRefused(await checkPersonSignature(early, challenge, requirements, now), 'not-valid-at-signing-time');
    const inside = await signRsa(person, challenge, { signingTime: now });
    const afterExpiry = new Date(new Date(person.certificates[0]!.validTo).getTime() + DAY);
    assert.ok((await checkPersonSignature(inside, challenge, requirements, afterExpiry)).ok);
  });

  it('a signingTime in the future (beyond clock skew) → not-valid-at-signing-time', async () => {
    const cms = await signRsa(person, challenge, { signingTime: new Date(now.getTime() + 3_600_000) });
    const message = assertRefused(await checkPersonSignature(cms, challenge, requirements, now), 'not-valid-at-signing-time');
    assert.match(message, /clock/);
  });

  it('a signingTime before the challenge existed (beyond clock skew) → not-valid-at-signing-time; within the skew → ok', async () => {
    const issued = new Date(now.getTime() - 60_000);
    const backDated = await signRsa(person, challenge, { signingTime: new Date(issued.getTime() - 3_600_000) });
    const message = assertRefused(
      await checkPersonSignature(backDated, challenge, { ...requirements, notBefore: issued }, now),
      'not-valid-at-signing-time',
    );
    assert.match(message, /before this request existed/);
    const slightlyEarly = await signRsa(person, challenge, { signingTime: new Date(issued.getTime() - 60_000) });
    assert.ok((await checkPersonSignature(slightlyEarly, challenge, { ...requirements, notBefore: issued }, now)).ok);
  });

  it("an IIN spelled inside another attribute's text is not the certificate's IIN → wrong-signer", async () => {
    // CN "…+serialNumber=IIN<expected>": Node prints it as CN=…\\+serialNumber=IIN…, which a text split on '+' misreads.
    const sneaky = await rsaSignerOf(
      await pki.issueUser({
        name: 'sneaky',
        commonName: `ЗЛОУМЫШЛЕННИК+serialNumber=IIN${IIN}`,
        iin: OTHER_IIN,
        encryption: 'legacy-3des',
      }),
    );
    assert.match(sneaky.certificates[0]!.subject, new RegExp(`serialNumber=IIN${IIN}`));
    const message = assertRefused(
      await checkPersonSignature(await signRsa(sneaky, challenge), challenge, requirements, now),
      'wrong-signer',
    );
    assert.match(message, new RegExp(`got …${OTHER_IIN.slice(-4)}`));
  });

  it('two signers → several-signers', async () => {
    const cms = mergeSigners(await signRsa(person, challenge), await signRsa(other, challenge));
    assertRefused(await checkPersonSignature(cms, challenge, requirements, now), 'several-signers');
  });

  it('garbage, empty input and base64 junk → unreadable', async () => {
    for (const input of [
      Buffer.alloc(0),
      '',
      '   ',
      'not base64 at all!!',
      'SGVsbG8gd29ybGQ=',
      Buffer.from([0x30, 0x82, 0xff, 0xff, 0x01]),
      Buffer.from('-----BEGIN CMS-----\nAAAA\n-----END CMS-----'),
      pki.caCertificate.raw, // a certificate, not a CMS
    ])
      assertRefused(await checkPersonSignature(input, challenge, requirements, now), 'unreadable');
  });

  it('property: random and damaged inputs never throw, and end in a verdict of the documented shape', async () => {
    const samples = [
      await signRsa(person, challenge),
      await signRsa(person, challenge, { detached: true }),
      signRsaWithoutAttributes(person, challenge),
    ];
    const reasons = new Set([
      'unreadable',
      'bad-signature',
      'other-data',
      'untrusted-chain',
      'not-valid-at-signing-time',
      'wrong-signer',
      'missing-eku',
      'several-signers',
    ]);
    const input = fc.oneof(
      damaged(samples, { tree: true }),
      damaged(samples).map((b) => b.toString('base64')),
      fc.string({ maxLength: 200 }),
      fc.base64String({ maxLength: 400 }),
    );
    await fc.assert(
      fc.asyncProperty(input, async (cms) => {
        const out = await timedAsync(2000, 'checkPersonSignature', () => checkPersonSignature(cms, challenge, requirements, now));
        assert.ok(out.ok, `threw: ${out.ok ? '' : describeError(out.error)}`);
        const result = out.value;
        if (result.ok) assert.equal(result.signer.iin, IIN);
        else {
          assert.ok(reasons.has(result.reason), result.reason);
          assert.ok(result.message.length > 0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('checkPersonSignature: Kazakh GOST', () => {
  const now = new Date();
  const pkiFor = (generation: 'gost2004' | 'gost2015-512') => {
    const algorithm = KZ_GOST[generation];
    const caKey = generateKzGostKey(algorithm);
    const ca = issueKzGostCertificate({
      key: caKey,
      subject: [
        [NAME.country, 'KZ'],
        [NAME.commonName, `ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (${generation} TEST)`],
      ],
      ca: true,
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 3650 * DAY),
    });
    const key = generateKzGostKey(algorithm);
    const certificate = issueKzGostCertificate({
      key,
      issuer: { key: caKey, certificate: ca },
      subject: [
        [NAME.commonName, 'ТЕСТОВ ТЕСТ'],
        [NAME.serialNumber, `IIN${IIN}`],
        [NAME.country, 'KZ'],
        [NAME.organization, 'АО "ТЕСТ"'],
        [NAME.organizationalUnit, `BIN${BIN}`],
      ],
      ca: false,
      notBefore: new Date(now.getTime() - 3_600_000),
      notAfter: new Date(now.getTime() + 365 * DAY),
      extKeyUsage: ['1.3.6.1.5.5.7.3.4', LEGAL_ENTITY, '1.2.398.3.3.4.1.2.1'],
    });
    return { ca, key, certificate };
  };
  const signGost = (key: KzGostPrivateKey, certificate: X509Certificate, content: Uint8Array, detached = false) =>
    signCmsKzGost({ content, key, certificates: [certificate], detached, signingTime: now });

  for (const generation of ['gost2004', 'gost2015-512'] as const)
    it(`${generation}: a good signature → ok with IIN and BIN; other data, a tampered byte, a wrong BIN are refused`, async () => {
      const { ca, key, certificate } = pkiFor(generation);
      const requirements: SignatureRequirements = { iin: IIN, bin: BIN, extKeyUsage: [LEGAL_ENTITY], caBundle: [ca] };
      const cms = signGost(key, certificate, challenge);
      const result = await checkPersonSignature(cms, challenge, requirements, now);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.signer.iin, IIN);
      assert.equal(result.signer.bin, BIN);
      assert.ok((await checkPersonSignature(signGost(key, certificate, challenge, true), challenge, requirements, now)).ok);
      assertRefused(
        await checkPersonSignature(signGost(key, certificate, challenge, true), Buffer.from('x'), requirements, now),
        'other-data',
      );
      assertRefused(await checkPersonSignature(signGost(key, certificate, Buffer.from('x')), challenge, requirements, now), 'other-data');
      assertRefused(await checkPersonSignature(flipLastByte(cms), challenge, requirements, now), 'bad-signature');
      const message = assertRefused(
        await checkPersonSignature(cms, challenge, { ...requirements, bin: '990240000020' }, now),
        'wrong-signer',
      );
      assert.match(message, /expected BIN …0020, got …0010/);
      assertRefused(await checkPersonSignature(cms, challenge, { ...requirements, extKeyUsage: [AUTH] }, now), 'missing-eku');
    });
});

describe('checkPersonSignature: NCA RK published test keys (certificates of 2018-2019)', () => {
  const inValidity = new Date('2019-01-15T00:00:00Z');

  async function vectorSigner(dir: string, prefix: string) {
    const file = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.p12'))!;
    const path = join(dir, file);
    return { store: openKeyStore(await readFile(path), 'Qwerty12', path), path };
  }

  it('GOSTKNCA (GOST 2004): the signature verifies and names IIN/BIN, but its CA (production NCA GOST) is not nca_gost_test.crt → untrusted-chain', async (t) => {
    const dir = vectorsOrSkip(t, 'nca');
    if (!dir) return;
    const { store } = await vectorSigner(dir, 'GOSTKNCA_');
    assert.equal(store.key.kind, 'kz-gost');
    const gost = (store.key as { gost: KzGostPrivateKey }).gost;
    const cms = signCmsKzGost({
      content: challenge,
      key: gost,
      certificates: store.certificates,
      detached: false,
      signingTime: inValidity,
    });
    const caBundle = [new X509Certificate(await readFile(join(dir, 'nca_gost_test.crt')))];
    // Everything before the chain passes (signature, validity at signingTime): the refusal is the chain.
    assertRefused(
      await checkPersonSignature(cms, challenge, { iin: '123456789011', bin: '123456789021', caBundle }, inValidity),
      'untrusted-chain',
    );
    assertRefused(await checkPersonSignature(flipLastByte(cms), challenge, { caBundle }, inValidity), 'bad-signature');
  });

  it("AUTH_RSA256 through the project's signer: its signingTime is the wall clock, after the 2019 expiry → not-valid-at-signing-time whatever `now`", async (t) => {
    const dir = vectorsOrSkip(t, 'nca');
    if (!dir) return;
    const { store, path } = await vectorSigner(dir, 'AUTH_RSA256_');
    const cms = await cmsSignerOf(store, path).signCms(challenge, { detached: false });
    const caBundle = [new X509Certificate(await readFile(join(dir, 'nca_rsa_test.crt')))];
    const message = assertRefused(
      await checkPersonSignature(cms, challenge, { iin: '123456789011', caBundle }, new Date()),
      'not-valid-at-signing-time',
    );
    assert.match(message, /2019-08-22/);
    // With a signingTime inside the validity the next refusal is the chain (issued by the production NCA RSA CA).
    const privateKey = (store.key as { keyObject: KeyObject }).keyObject;
    const dated = await signCmsRsaSha256({
      content: challenge,
      privateKey,
      certificates: store.certificates,
      detached: false,
      signingTime: inValidity,
    });
    assertRefused(await checkPersonSignature(dated, challenge, { iin: '123456789011', caBundle }, new Date()), 'untrusted-chain');
  });
});
