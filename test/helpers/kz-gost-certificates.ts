// Self-signed Kazakh GOST certificates for tests of the generation no published key exists for
// (GOST 2015 512-bit): built with pkijs, signed by trustflow's own kz-gost.ts.
import { randomBytes, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { encodeKzGostPublicKey, kzGostPublicKeyOf, kzGostSign, type KzGostPrivateKey } from '../../src/crypto/gost/kz-gost.js';

/**
 * A self-signed certificate for `key`: a CA (basicConstraints cA, keyUsage keyCertSign + digitalSignature),
 * or with `ca` false an end entity (cA false, digitalSignature only),
 * subject CN=`commonName`, serialNumber=IIN`iin`, valid `days` from now.
 */
export function selfSignedKzGostCertificate(key: KzGostPrivateKey, commonName: string, iin: string, days = 30, ca = true): X509Certificate {
  const alg = key.algorithm;
  const name = new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.6', value: new asn1js.PrintableString({ value: 'KZ' }) }),
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: commonName }) }),
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.5', value: new asn1js.PrintableString({ value: `IIN${iin}` }) }),
    ],
  });
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
      new asn1js.BitString({ valueHex: new asn1js.OctetString({ valueHex: encodeKzGostPublicKey(kzGostPublicKeyOf(key)) }).toBER(false) }),
    ],
  });
  const now = Date.now();
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: Uint8Array.from([0x01, ...randomBytes(15)]) }),
    signature: new pkijs.AlgorithmIdentifier({ algorithmId: alg.signatureOid, algorithmParams: new asn1js.Null() }),
    issuer: name,
    subject: name,
    notBefore: new pkijs.Time({ type: 0, value: new Date(now - 60_000) }),
    notAfter: new pkijs.Time({ type: 0, value: new Date(now + days * 86_400_000) }),
    subjectPublicKeyInfo: new pkijs.PublicKeyInfo({ schema: spki }),
    extensions: [
      new pkijs.Extension({
        extnID: '2.5.29.19',
        critical: true,
        extnValue: new pkijs.BasicConstraints({ cA: ca }).toSchema().toBER(false),
      }),
      // keyUsage: digitalSignature (bit 0) and keyCertSign (bit 5): 0b10000100, 2 unused bits.
      new pkijs.Extension({
        extnID: '2.5.29.15',
        critical: true,
        extnValue: new asn1js.BitString({ valueHex: Uint8Array.of(ca ? 0x84 : 0x80), unusedBits: 2 }).toBER(false),
      }),
    ],
  });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: alg.signatureOid, algorithmParams: new asn1js.Null() });
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.signatureValue = new asn1js.BitString({ valueHex: kzGostSign(key, cert.tbsView) });
  return new X509Certificate(Buffer.from(cert.toSchema(false).toBER(false)));
}
