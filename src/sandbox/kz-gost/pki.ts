// A Kazakh GOST test PKI in NCA RK's formats: a CA certificate and certificates it issues, signed
// with trustflow's own kz-gost.ts, and the PKCS#12 layout of NCA's GOSTKNCA_*.p12 files (checked
// against the published one in test/unit/sandbox-kz-gost.test.ts):
//   file name   GOSTKNCA_<the certificate's subject key identifier, hex>.p12 (SHA-1 of its SPKI)
//   authSafe    1. data: a pkcs8ShroudedKeyBag, pbeWithSHAAnd3-KeyTripleDES-CBC, 1024 iterations
//               2. encryptedData, pbeWithSHAAnd40BitRC2-CBC, 1024 iterations: one certBag (the
//                  key's certificate only, no chain)
//               both bags carry localKeyId = the SKI and friendlyName = the SKI in lower-case hex
//   MAC         HMAC-SHA-1, 1024 iterations, 20-byte salts everywhere
//   key         PKCS#8 with the Kazakh AlgorithmIdentifier (kzGostPrivateKeyToPkcs8)
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import {
  encodeKzGostPublicKey,
  kzGostPrivateKeyToPkcs8,
  kzGostPublicKeyOf,
  kzGostSign,
  type KzGostPrivateKey,
} from '../../crypto/gost/kz-gost.js';

/** One attribute of a name: its OID and value (PrintableString for C and serialNumber, as NCA writes them; UTF8String otherwise). */
export type NameAttribute = [oid: string, value: string];

export const NAME = {
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  state: '2.5.4.8',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  givenName: '2.5.4.42',
} as const;

const PRINTABLE = new Set<string>([NAME.country, NAME.serialNumber]);

export interface KzGostCertificateSpec {
  /** The subject's key: its public half goes into the certificate. */
  key: KzGostPrivateKey;
  subject: NameAttribute[];
  /** The issuing CA (its key signs, its subject becomes the issuer); absent: self-signed. */
  issuer?: { key: KzGostPrivateKey; certificate: X509Certificate };
  /** A CA (basicConstraints cA, keyUsage keyCertSign + cRLSign) or an end entity (digitalSignature + nonRepudiation). */
  ca: boolean;
  notBefore: Date;
  notAfter: Date;
  /** Extended key usages (end entities), e.g. NCA's legal-entity signing OIDs. */
  extKeyUsage?: string[];
}

/**
 * The SubjectKeyIdentifier NCA writes, by what the published certificates show: for a CA, SHA-1 over
 * the subjectPublicKey BIT STRING's content (RFC 5280's method 1; nca_gost_test.crt,
 * nca_gost2015_test.cer); for an end entity, SHA-1 over the whole SubjectPublicKeyInfo DER
 * (GOSTKNCA_*.p12, ceo_valid_sign_2004_gost.cer).
 */
function subjectKeyId(spki: asn1js.Sequence, ca: boolean): Buffer {
  const bits = (spki.valueBlock.value[1] as asn1js.BitString).valueBlock.valueHexView;
  return createHash('sha1')
    .update(ca ? bits : new Uint8Array(spki.toBER(false)))
    .digest();
}

/** A certificate's SubjectKeyIdentifier (hex): a GOSTKNCA file is named after it. */
export function subjectKeyIdOf(certificate: X509Certificate): string {
  const ext = pkijs.Certificate.fromBER(certificate.raw).extensions?.find((e) => e.extnID === '2.5.29.14');
  if (!ext) throw new Error(`${certificate.subject}: no subject key identifier`);
  return Buffer.from((asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result as asn1js.OctetString).valueBlock.valueHexView).toString(
    'hex',
  );
}

/** A certificate for spec.key, signed with the issuer's key (or its own). */
export function issueKzGostCertificate(spec: KzGostCertificateSpec): X509Certificate {
  const alg = spec.key.algorithm;
  const signer = spec.issuer?.key ?? spec.key;
  // One RDN per attribute, as NCA writes names (pkijs alone would put them all in one multi-valued RDN).
  const subject = pkijs.RelativeDistinguishedNames.fromBER(
    new asn1js.Sequence({
      value: spec.subject.map(
        ([type, value]) =>
          new asn1js.Set({
            value: [
              new asn1js.Sequence({
                value: [
                  new asn1js.ObjectIdentifier({ value: type }),
                  PRINTABLE.has(type) ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }),
                ],
              }),
            ],
          }),
      ),
    }).toBER(false),
  );
  const issuer = spec.issuer ? pkijs.Certificate.fromBER(spec.issuer.certificate.raw).subject : subject;
  const spki = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: alg.keyOid }),
          new asn1js.Sequence({
            value: [new asn1js.ObjectIdentifier({ value: alg.curveOid }), new asn1js.ObjectIdentifier({ value: alg.hashOid })],
          }),
        ],
      }),
      new asn1js.BitString({ valueHex: publicKeyOctets(spec.key) }),
    ],
  });
  const extensions = [
    new pkijs.Extension({
      extnID: '2.5.29.19',
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: spec.ca }).toSchema().toBER(false),
    }),
    // keyUsage: a CA keyCertSign (bit 5) + cRLSign (bit 6): 0b00000110; an end entity digitalSignature (bit 0) + nonRepudiation (bit 1): 0b11000000.
    new pkijs.Extension({
      extnID: '2.5.29.15',
      critical: true,
      extnValue: new asn1js.BitString({ valueHex: Uint8Array.of(spec.ca ? 0x06 : 0xc0), unusedBits: spec.ca ? 1 : 6 }).toBER(false),
    }),
    new pkijs.Extension({
      extnID: '2.5.29.14',
      extnValue: new asn1js.OctetString({ valueHex: subjectKeyId(spki, spec.ca) }).toBER(false),
    }),
    ...(spec.issuer
      ? [
          new pkijs.Extension({
            extnID: '2.5.29.35',
            extnValue: new pkijs.AuthorityKeyIdentifier({
              keyIdentifier: new asn1js.OctetString({ valueHex: Buffer.from(subjectKeyIdOf(spec.issuer.certificate), 'hex') }),
            })
              .toSchema()
              .toBER(false),
          }),
        ]
      : []),
    ...(spec.extKeyUsage?.length
      ? [
          new pkijs.Extension({
            extnID: '2.5.29.37',
            extnValue: new pkijs.ExtKeyUsage({ keyPurposes: spec.extKeyUsage }).toSchema().toBER(false),
          }),
        ]
      : []),
  ];
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: Uint8Array.from([0x01, ...randomBytes(19)]) }),
    signature: new pkijs.AlgorithmIdentifier({ algorithmId: alg.signatureOid, algorithmParams: new asn1js.Null() }),
    issuer,
    subject,
    notBefore: new pkijs.Time({ type: 0, value: spec.notBefore }),
    notAfter: new pkijs.Time({ type: 0, value: spec.notAfter }),
    subjectPublicKeyInfo: new pkijs.PublicKeyInfo({ schema: spki }),
    extensions,
  });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({
    algorithmId: signer.algorithm.signatureOid,
    algorithmParams: new asn1js.Null(),
  });
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.signatureValue = new asn1js.BitString({ valueHex: kzGostSign(signer, cert.tbsView) });
  return new X509Certificate(Buffer.from(cert.toSchema(false).toBER(false)));
}

/** The public key as the BIT STRING's content: a DER OCTET STRING of X ‖ Y (little-endian each). */
function publicKeyOctets(key: KzGostPrivateKey): Uint8Array {
  return new Uint8Array(new asn1js.OctetString({ valueHex: encodeKzGostPublicKey(kzGostPublicKeyOf(key)) }).toBER(false));
}

// ---- PKCS#12 in NCA's layout --------------------------------------------------------------------

const { asn1, pki } = forge;
const ITERATIONS = 1024;
const SALT_BYTES = 20;

const der = (node: forge.asn1.Asn1): string => asn1.toDer(node).getBytes();
const seq = (...value: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value);
const set = (...value: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, value);
const oid = (o: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const octets = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const integer = (n: number) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const explicit0 = (...value: forge.asn1.Asn1[]) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, value);
const binary = (bytes: Uint8Array) => Buffer.from(bytes).toString('binary');

/** PKCS#12 PBE parameters { salt, iterations } with a fresh salt. */
function pbeParams(): { salt: forge.util.ByteStringBuffer; node: forge.asn1.Asn1 } {
  const salt = forge.random.getBytesSync(SALT_BYTES);
  return { salt: forge.util.createBuffer(salt), node: seq(octets(salt), integer(ITERATIONS)) };
}

/** The DER of `content` encrypted with pbeWithSHAAnd40BitRC2-CBC (RFC 7292 B.2 key and IV derivation). */
function rc2Encrypt(content: string, password: string): { algorithm: forge.asn1.Asn1; encrypted: string } {
  const params = pbeParams();
  const key = forge.pkcs12.generateKey(password, params.salt, 1, ITERATIONS, 5);
  const iv = forge.pkcs12.generateKey(password, params.salt, 2, ITERATIONS, 8);
  const cipher = forge.rc2.createEncryptionCipher(key, 40);
  cipher.start(iv);
  cipher.update(forge.util.createBuffer(content));
  if (!cipher.finish()) throw new Error('RC2 encryption failed');
  return { algorithm: seq(oid(pki.oids['pbewithSHAAnd40BitRC2-CBC']!), params.node), encrypted: cipher.output.getBytes() };
}

/**
 * A PKCS#12 holding `key` and its certificate, byte for byte in the layout of NCA RK's GOSTKNCA_*.p12
 * (see the top of this file), so the loader that opens NCA's files is what opens it.
 */
export function ncaPkcs12(key: KzGostPrivateKey, certificate: X509Certificate, password: string): Buffer {
  const ski = Buffer.from(subjectKeyIdOf(certificate), 'hex');
  const attributes = set(
    seq(oid(pki.oids.localKeyId!), set(octets(binary(ski)))),
    seq(oid(pki.oids.friendlyName!), set(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, ski.toString('hex')))),
  );
  const pkcs8 = asn1.fromDer(forge.util.createBuffer(binary(kzGostPrivateKeyToPkcs8(key))));
  const shrouded = pki.encryptPrivateKeyInfo(pkcs8, password, { algorithm: '3des', count: ITERATIONS, saltSize: SALT_BYTES });
  const keyBag = seq(oid(pki.oids.pkcs8ShroudedKeyBag!), explicit0(shrouded), attributes);
  const certBag = seq(
    oid(pki.oids.certBag!),
    explicit0(seq(oid(pki.oids.x509Certificate!), explicit0(octets(binary(certificate.raw))))),
    attributes,
  );
  const certs = rc2Encrypt(der(seq(certBag)), password);
  const authSafe = seq(
    seq(oid(pki.oids.data!), explicit0(octets(der(seq(keyBag))))),
    seq(
      oid(pki.oids.encryptedData!),
      explicit0(
        seq(integer(0), seq(oid(pki.oids.data!), certs.algorithm, asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, certs.encrypted))),
      ),
    ),
  );
  const authSafeDer = der(authSafe);
  const macSalt = forge.random.getBytesSync(SALT_BYTES);
  const macKey = forge.pkcs12.generateKey(password, forge.util.createBuffer(macSalt), 3, ITERATIONS, 20);
  const hmac = forge.hmac.create();
  hmac.start('sha1', macKey);
  hmac.update(authSafeDer);
  const pfx = seq(
    integer(3),
    seq(oid(pki.oids.data!), explicit0(octets(authSafeDer))),
    seq(
      seq(seq(oid(pki.oids.sha1!), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')), octets(hmac.digest().getBytes())),
      octets(macSalt),
      integer(ITERATIONS),
    ),
  );
  return Buffer.from(der(pfx), 'binary');
}
