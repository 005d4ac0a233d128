// The sandbox's Kazakh GOST key (manifest.kzGost) is laid out as NCA RK's GOSTKNCA_*.p12: the same
// bags, encryptions, iteration counts, salts, attributes, key encoding and file name as the published
// test file, compared structurally (never a secret); and it opens through the loader NCA's files use.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { createLogger } from '../../src/common/logger.js';
import { checkCertificate } from '../../src/crypto/certificates/check.js';
import { KZ_GOST } from '../../src/crypto/gost/kz-gost.js';
import { openKeyStore } from '../../src/crypto/keys/pkcs12.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { setupKzGost } from '../../src/sandbox/kz-gost/setup.js';
import type { SandboxManifest } from '../../src/sandbox/index.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const NCA_P12 = 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12';
const NCA_PASSWORD = 'Qwerty12'; // published with NCA's test kit (../shared/vectors/nca/README.md)

type Node = forge.asn1.Asn1;
const kids = (n: Node): Node[] => n.value as Node[];
const oidOf = (n: Node) => forge.asn1.derToOid(n.value as string);
const intOf = (n: Node) => forge.asn1.derToInteger(n.value as string);
// BER (NCA writes indefinite lengths and may chunk OCTET STRINGs) and DER alike.
const octetsOf = (n: Node): string => (Array.isArray(n.value) ? n.value.map(octetsOf).join('') : n.value);
const parse = (bytes: string) => forge.asn1.fromDer(forge.util.createBuffer(bytes));
const NAMES = Object.fromEntries(Object.entries(forge.pki.oids).map(([k, v]) => [v, k]));
const nameOf = (oid: string) => NAMES[oid] ?? oid;
const pbe = (algId: Node) => {
  const [salt, iterations] = kids(kids(algId)[1]!);
  return { algorithm: nameOf(oidOf(kids(algId)[0]!)), saltBytes: octetsOf(salt!).length, iterations: intOf(iterations!) };
};
const attributesOf = (bag: Node) =>
  kids(bag)[2] ? kids(kids(bag)[2]!).map((a) => ({ [nameOf(oidOf(kids(a)[0]!))]: octetsOf(kids(kids(a)[1]!)[0]!) })) : [];

/** What a p12 is made of, without a secret: bags, encryptions, counts, attributes, key encoding. */
function layoutOf(file: Buffer, name: string, password: string) {
  const pfx = parse(file.toString('binary'));
  const [version, authSafe, macData] = kids(pfx);
  const contents = kids(parse(octetsOf(kids(kids(authSafe!)[1]!)[0]!)));
  const p12 = forge.pkcs12.pkcs12FromAsn1(pfx, false, password);
  const safes = contents.map((ci, i) => {
    const type = nameOf(oidOf(kids(ci)[0]!));
    if (type === 'data') {
      const bags = kids(parse(octetsOf(kids(kids(ci)[1]!)[0]!)));
      return { type, bags: bags.map((b) => ({ type: nameOf(oidOf(kids(b)[0]!)), encryption: pbe(kids(kids(kids(b)[1]!)[0]!)[0]!) })) };
    }
    const encryptedContentInfo = kids(kids(kids(ci)[1]!)[0]!)[1]!;
    return {
      type,
      encryption: pbe(kids(encryptedContentInfo)[1]!),
      bags: p12.safeContents[i]!.safeBags.map((b) => ({ type: nameOf(b.type) })),
    };
  });
  const bagAttributes = contents.flatMap((ci, i) =>
    nameOf(oidOf(kids(ci)[0]!)) === 'data'
      ? kids(parse(octetsOf(kids(kids(ci)[1]!)[0]!))).map(attributesOf)
      : p12.safeContents[i]!.safeBags.map((b) => Object.keys(b.attributes).map((k) => ({ [k]: b.attributes[k]![0] }))),
  );
  const keyBag = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]![0]!;
  const certBag = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]![0]!;
  const cert = new X509Certificate(Buffer.from(forge.asn1.toDer(certBag.asn1!).getBytes(), 'binary'));
  const ski = subjectKeyIdentifier(cert);
  const [pkVersion, pkAlg, pkOctets] = kids(keyBag.asn1!);
  const [macDigest, macSalt, macIterations] = kids(macData!);
  return {
    layout: {
      version: intOf(version!),
      safes,
      bagAttributeNames: bagAttributes.map((attrs) => attrs.map((a) => Object.keys(a)[0]).sort()),
      certificates: Object.values(p12.getBags({ bagType: forge.pki.oids.certBag! })).flat().length,
      privateKeyInfo: {
        version: intOf(pkVersion!),
        algorithm: [oidOf(kids(pkAlg!)[0]!), kids(kids(pkAlg!)[1]!).map(oidOf)],
        privateKey: `OCTET STRING holding tag ${octetsOf(pkOctets!).charCodeAt(0)}`,
      },
      mac: {
        digest: nameOf(oidOf(kids(kids(macDigest!)[0]!)[0]!)),
        saltBytes: octetsOf(macSalt!).length,
        iterations: intOf(macIterations!),
      },
    },
    // Values that must agree inside one file: localKeyId = SKI, friendlyName = its hex, the file's name.
    localKeyIds: bagAttributes.map((attrs) =>
      Buffer.from(attrs.find((a) => 'localKeyId' in a)!.localKeyId as string, 'binary').toString('hex'),
    ),
    friendlyNames: bagAttributes.map((attrs) => attrs.find((a) => 'friendlyName' in a)!.friendlyName),
    ski,
    fileName: name,
    certificate: cert,
  };
}

function subjectKeyIdentifier(cert: X509Certificate): string {
  const ext = pkijs.Certificate.fromBER(cert.raw).extensions?.find((e) => e.extnID === '2.5.29.14');
  assert.ok(ext, 'the certificate has a subject key identifier');
  return Buffer.from((asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result as asn1js.OctetString).valueBlock.valueHexView).toString(
    'hex',
  );
}

let dir: string;
let kz: SandboxManifest['kzGost'];
let password: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trustflow-sandbox-kz-gost-'));
  const part = await setupKzGost({ dir, ports: {}, logger: createLogger({ name: 'test', level: 'warn' }) });
  kz = part.manifest.kzGost!;
  password = (await readFile(kz.passwordFile, 'utf8')).trim();
});

after(() => rm(dir, { recursive: true, force: true }));

describe("the sandbox's Kazakh GOST key (manifest.kzGost)", () => {
  it("is laid out as NCA RK's GOSTKNCA_*.p12, structure for structure", async (t) => {
    const ncaPath = vectorsOrSkip(t, 'nca', NCA_P12);
    if (!ncaPath) return;
    const nca = layoutOf(await readFile(ncaPath), basename(ncaPath), NCA_PASSWORD);
    const ours = layoutOf(await readFile(kz.p12), basename(kz.p12), password);
    assert.deepEqual(ours.layout, nca.layout);
    // NCA's own layout, spelled out (so that a change of both is seen too).
    assert.deepEqual(
      nca.layout.safes.map((s) => [s.type, 'encryption' in s ? s.encryption : s.bags]),
      [
        [
          'data',
          [{ type: 'pkcs8ShroudedKeyBag', encryption: { algorithm: 'pbeWithSHAAnd3-KeyTripleDES-CBC', saltBytes: 20, iterations: 1024 } }],
        ],
        ['encryptedData', { algorithm: 'pbewithSHAAnd40BitRC2-CBC', saltBytes: 20, iterations: 1024 }],
      ],
    );
    for (const f of [nca, ours]) {
      assert.deepEqual(f.localKeyIds, [f.ski, f.ski], `${f.fileName}: localKeyId of both bags = the certificate's SKI`);
      assert.deepEqual(f.friendlyNames, [f.ski, f.ski], `${f.fileName}: friendlyName = the SKI in hex`);
      assert.equal(f.fileName, `GOSTKNCA_${f.ski}.p12`);
    }
  });

  it("writes subject key identifiers as NCA does: a CA's over its key's BIT STRING content, an end entity's over its whole SPKI", async (t) => {
    const ncaPath = vectorsOrSkip(t, 'nca', NCA_P12);
    const [ncaCa, ncaUser] = [vectorsOrSkip(t, 'nca', 'nca_gost_test.crt'), vectorsOrSkip(t, 'nca', 'ceo_valid_sign_2004_gost.cer')];
    if (!ncaPath || !ncaCa || !ncaUser) return;
    const skiOf = (cert: X509Certificate, ca: boolean) => {
      const spki = pkijs.Certificate.fromBER(cert.raw).subjectPublicKeyInfo;
      return createHash('sha1')
        .update(ca ? spki.subjectPublicKey.valueBlock.valueHexView : new Uint8Array(spki.toSchema().toBER(false)))
        .digest('hex');
    };
    const cases: [string, X509Certificate, boolean][] = [
      ['NCA: nca_gost_test.crt', new X509Certificate(await readFile(ncaCa)), true],
      ['NCA: ceo_valid_sign_2004_gost.cer', new X509Certificate(await readFile(ncaUser)), false],
      [`NCA: ${NCA_P12}`, layoutOf(await readFile(ncaPath), NCA_P12, NCA_PASSWORD).certificate, false],
      ['sandbox: the GOST CA', new X509Certificate(await readFile(kz.caCertificate)), true],
      ['sandbox: the signing certificate', new X509Certificate(await readFile(kz.certificate)), false],
    ];
    for (const [name, cert, ca] of cases) {
      assert.equal(skiOf(cert, ca), subjectKeyIdentifier(cert), name);
      assert.notEqual(skiOf(cert, !ca), subjectKeyIdentifier(cert), `${name}: the other method differs`);
    }
  });

  it('opens through the PKCS#12 loader as a GOST 2004 key whose certificate the sandbox GOST CA issued', async () => {
    const file = await readFile(kz.p12);
    const store = openKeyStore(file, password, kz.p12, kz.password);
    assert.equal(store.key.kind, 'kz-gost');
    assert.equal(store.key.kind === 'kz-gost' && store.key.gost.algorithm, KZ_GOST.gost2004);
    assert.equal(kz.algorithm, KZ_GOST.gost2004.name);
    const [own] = store.certificates;
    assert.equal(own!.fingerprint256, new X509Certificate(await readFile(kz.certificate)).fingerprint256);
    const check = checkCertificate(own!, new X509Certificate(await readFile(kz.caCertificate)));
    assert.deepEqual([check.valid, check.signatureValid, check.issuerMatches], [true, true, true]);
    assert.match(own!.subject, new RegExp(`serialNumber=IIN${kz.iin}`));
    assert.match(own!.subject, new RegExp(`OU=BIN${kz.bin}`));
    assert.throws(() => openKeyStore(file, `${password}x`, kz.p12, kz.password), /wrong password.*file:/);
  });

  it('OpenSSL reads it too (legacy PBE), with the password file, and sees one key and one certificate', async () => {
    const { stderr } = await runOpenssl(['pkcs12', '-legacy', '-info', '-noout', '-in', kz.p12, '-passin', `file:${kz.passwordFile}`]);
    assert.match(stderr, /MAC: sha1, Iteration 1024/);
    assert.match(stderr, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 1024/);
    assert.match(stderr, /PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 1024/);
    assert.equal(stderr.match(/Certificate bag/g)?.length, 1);
  });
});
