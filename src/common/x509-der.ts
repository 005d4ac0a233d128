// The few facts trustflow reads from certificates and PKCS#10 requests, straight from their DER with
// asn1js (pure JS, deterministic: the kpsisIssueCertificate Update validator runs it inside the
// workflow). Public keys are compared as the raw SubjectPublicKeyInfo bytes, because Belarusian bign
// keys are unknown to most X.509 libraries, Node's included.
import * as asn1js from 'asn1js';
import { base64ToBytes, bytesToBase64, bytesToHex } from './base64.js';
import { FailureType, TrustflowError } from './errors.js';

/** Not a certificate or request of the expected shape: bad input, never retried. */
export class DerFormatError extends TrustflowError {
  override readonly name = 'DerFormatError';
  constructor(message: string) {
    super(message, FailureType.InvalidInput, false);
  }
}

const OID_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.13': 'description',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
const KEY_ALGORITHMS: Record<string, string> = {
  '1.2.840.10045.2.1': 'EC',
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.112.0.2.0.34.101.45.2.1': 'bign (STB 34.101.45)',
  '1.2.643.7.1.1.1.1': 'GOST R 34.10-2012 256',
  '1.2.643.7.1.1.1.2': 'GOST R 34.10-2012 512',
};
const CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.2.112.0.2.0.34.101.45.3.1': 'bign-curve256v1',
  '1.2.112.0.2.0.34.101.45.3.2': 'bign-curve384v1',
  '1.2.112.0.2.0.34.101.45.3.3': 'bign-curve512v1',
};

/** DER from PEM (any label) or from base64/raw DER. */
export function derOf(input: string | Uint8Array): Uint8Array {
  if (typeof input !== 'string') return input;
  const body = input.includes('-----BEGIN') ? input.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '') : input;
  const b64 = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new DerFormatError('not PEM or base64');
  try {
    return base64ToBytes(b64);
  } catch {
    throw new DerFormatError('not PEM or base64');
  }
}

/** Runs a reader over parsed ASN.1: any surprise in the structure is a DerFormatError, never a TypeError. */
function reading<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof DerFormatError) throw err;
    throw new DerFormatError(`${what}: unexpected structure`);
  }
}

function parse(der: Uint8Array, what: string): asn1js.Sequence {
  const r = asn1js.fromBER(der);
  if (r.offset === -1 || !(r.result instanceof asn1js.Sequence)) throw new DerFormatError(`${what}: not a DER SEQUENCE`);
  return r.result;
}
const children = (node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] => {
  const v = (node as asn1js.Sequence | undefined)?.valueBlock?.value;
  if (!Array.isArray(v)) throw new DerFormatError(`${what}: unexpected structure`);
  return v;
};
const raw = (node: asn1js.AsnType) => new Uint8Array(node.valueBeforeDecodeView);

function nameToString(name: asn1js.AsnType): string {
  return children(name, 'name')
    .flatMap((rdn) => children(rdn, 'RDN'))
    .map((atv) => {
      const [type, value] = children(atv, 'attribute');
      const oid = (type as asn1js.ObjectIdentifier).valueBlock.toString();
      const text = (value as asn1js.BaseStringBlock & { valueBlock: { value: string } }).valueBlock.value;
      return `${OID_NAMES[oid] ?? oid}=${String(text)}`;
    })
    .join(', ');
}

function spkiFacts(spki: asn1js.AsnType) {
  const [algId] = children(spki, 'SubjectPublicKeyInfo');
  const [oid, params] = children(algId, 'AlgorithmIdentifier');
  const alg = (oid as asn1js.ObjectIdentifier).valueBlock.toString();
  const curve = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : undefined;
  const name = KEY_ALGORITHMS[alg] ?? alg;
  const bytes = raw(spki);
  return { publicKeyAlgorithm: curve ? `${name} ${CURVES[curve] ?? curve}` : name, subjectPublicKeyInfo: bytesToBase64(bytes) };
}

function timeOf(node: asn1js.AsnType): string {
  if (node instanceof asn1js.UTCTime || node instanceof asn1js.GeneralizedTime) return node.toDate().toISOString();
  throw new DerFormatError('validity: not a time');
}

export interface CertificateFacts {
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  publicKeyAlgorithm: string;
  subjectPublicKeyInfo: string;
}

export function certificateFacts(pemOrDer: string | Uint8Array): CertificateFacts {
  return reading('certificate', () => readCertificateFacts(pemOrDer));
}

function readCertificateFacts(pemOrDer: string | Uint8Array): CertificateFacts {
  const cert = parse(derOf(pemOrDer), 'certificate');
  const tbs = children(children(cert, 'certificate')[0], 'TBSCertificate');
  // version [0] is optional: the serial is the first INTEGER.
  const i = tbs[0] instanceof asn1js.Constructed && tbs[0].idBlock.tagClass === 3 ? 1 : 0;
  const serial = tbs[i] as asn1js.Integer;
  if (!(serial instanceof asn1js.Integer)) throw new DerFormatError('certificate: no serial number');
  const [from, to] = children(tbs[i + 3], 'validity');
  return {
    serialNumber: bytesToHex(serial.valueBlock.valueHexView).toUpperCase(),
    notBefore: timeOf(from!),
    notAfter: timeOf(to!),
    ...spkiFacts(tbs[i + 5]!),
  };
}

/** The subject's attributes, each on its own (a multi-valued RDN gives several), in order: type OID and text. */
export function certificateSubjectAttributes(pemOrDer: string | Uint8Array): { oid: string; value: string }[] {
  return reading('certificate subject', () => {
    const cert = parse(derOf(pemOrDer), 'certificate');
    const tbs = children(children(cert, 'certificate')[0], 'TBSCertificate');
    const i = tbs[0] instanceof asn1js.Constructed && tbs[0].idBlock.tagClass === 3 ? 1 : 0;
    return children(tbs[i + 4], 'subject')
      .flatMap((rdn) => children(rdn, 'RDN'))
      .map((atv) => {
        const [type, value] = children(atv, 'attribute');
        if (!(type instanceof asn1js.ObjectIdentifier)) throw new DerFormatError('subject: attribute without a type');
        const text = (value as (asn1js.BaseStringBlock & { valueBlock: { value?: unknown } }) | undefined)?.valueBlock?.value;
        return { oid: type.valueBlock.toString(), value: typeof text === 'string' ? text : '' };
      });
  });
}

export interface RequestFacts {
  subject: string;
  subjectAltNames: string[];
  publicKeyAlgorithm: string;
  subjectPublicKeyInfo: string;
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

export function certificationRequestFacts(pemOrDer: string | Uint8Array): RequestFacts {
  return reading('certification request', () => readRequestFacts(pemOrDer));
}

function readRequestFacts(pemOrDer: string | Uint8Array): RequestFacts {
  const csr = parse(derOf(pemOrDer), 'certification request');
  const [, subject, spki, attributes] = children(children(csr, 'certification request')[0], 'CertificationRequestInfo');
  const subjectAltNames: string[] = [];
  for (const attr of attributes ? children(attributes, 'attributes') : []) {
    const [type, values] = children(attr, 'attribute');
    if ((type as asn1js.ObjectIdentifier).valueBlock.toString() !== EXTENSION_REQUEST) continue;
    for (const ext of children(children(values, 'extensionRequest')[0], 'extensions')) {
      const parts = children(ext, 'extension');
      if ((parts[0] as asn1js.ObjectIdentifier).valueBlock.toString() !== SUBJECT_ALT_NAME) continue;
      const octets = parts[parts.length - 1] as asn1js.OctetString;
      for (const gn of children(parse(octets.valueBlock.valueHexView, 'subjectAltName'), 'subjectAltName')) {
        if (gn.idBlock.tagClass === 3 && gn.idBlock.tagNumber === 2)
          subjectAltNames.push(`DNS:${String.fromCharCode(...(gn as asn1js.Primitive).valueBlock.valueHexView)}`);
      }
    }
  }
  return { subject: nameToString(subject!), subjectAltNames, ...spkiFacts(spki!) };
}
