// NCALayer's request/reply protocol (shared/notes/ncalayer.md): one JSON request in, one JSON
// reply out, no ids. Two modules: kz.gov.pki.knca.commonUtils (positional args, `{code, message,
// responseObject}`) and kz.gov.pki.knca.basics (named args, `{status, body}`); the sigex client's
// kz.digiflow.mobile.extensions probe gets a non-200 reply ("plain NCALayer"). What the person does
// (sign, cancel, fail, after delayMs) comes from the state's switches; signing is real CMS through
// the project's signer (RSA or Kazakh GOST, as the key is).
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CmsSigner } from '../../crypto/keys/signer.js';
import type { NcaLayerState } from './state.js';

export const MODULE = {
  commonUtils: 'kz.gov.pki.knca.commonUtils',
  basics: 'kz.gov.pki.knca.basics',
  digiflow: 'kz.digiflow.mobile.extensions',
} as const;

/** The only storage with a token present: the key files are PKCS#12. */
export const STORAGE = 'PKCS12';

export interface ProtocolContext {
  state: NcaLayerState;
  /** The opened signer of a key by name (opened once, then cached). */
  signer: (name: string) => Promise<CmsSigner>;
  /** Waits `ms`; resolves false when the socket went away meanwhile (then nothing is answered). */
  wait: (ms: number) => Promise<boolean>;
}

type Reply = Record<string, unknown>;
const commonError = (message: string): Reply => ({ code: '500', message });
const basicsError = (code: string, message: string): Reply => ({ status: false, code, message, details: '' });

/** The reply to one text frame (not the heartbeat), or undefined when the socket closed before the person acted. */
export async function answer(text: string, ctx: ProtocolContext): Promise<Reply | undefined> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    ctx.state.malformed++;
    return commonError('sandbox: the request is not JSON');
  }
  const { module, method, args } = (request ?? {}) as { module?: unknown; method?: unknown; args?: unknown };
  if (typeof module !== 'string' || typeof method !== 'string') {
    ctx.state.malformed++;
    return commonError('sandbox: the request has no module and method');
  }
  ctx.state.count(module, method);
  ctx.state.lastRequest = { module, method, ...redactedArgs(module, method, args) };

  if (module === MODULE.digiflow) return commonError(`sandbox: module ${module} is not available (plain NCALayer)`);
  if (module === MODULE.commonUtils) return commonUtils(method, args, ctx);
  if (module === MODULE.basics) return basics(method, args, ctx);
  return commonError(`sandbox: unknown module ${module}`);
}

function redactedArgs(module: string, method: string, args: unknown): { args?: unknown } {
  if (module === MODULE.basics && method === 'sign' && args && typeof args === 'object' && !Array.isArray(args)) {
    const { data: _data, ...rest } = args as Record<string, unknown>;
    return { args: rest };
  }
  if (module === MODULE.commonUtils && Array.isArray(args)) {
    if (method === 'createCAdESFromBase64' || method === 'createCAdESFromBase64Hash')
      return { args: args.map((a, i) => (i === 2 ? '(data omitted)' : a)) };
    if (method === 'getActiveTokens' || method === 'getKeyInfo') return { args };
  }
  return {}; // an unknown method's arguments may be anything: not kept
}

async function commonUtils(method: string, args: unknown, ctx: ProtocolContext): Promise<Reply | undefined> {
  const a = Array.isArray(args) ? args : [];
  switch (method) {
    case 'getActiveTokens':
      return { code: '200', responseObject: [STORAGE] };
    case 'getKeyInfo': {
      if (a[0] !== STORAGE) return commonError(`sandbox: no token in storage ${String(a[0])}`);
      const outcome = await person(ctx);
      if (outcome !== 'sign') return outcome === undefined ? undefined : commonOutcome(outcome, ctx);
      const signer = await ctx.signer(ctx.state.config.key);
      return { code: '200', responseObject: keyInfo(signer) };
    }
    case 'createCAdESFromBase64': {
      const [storage, keyType, dataB64, attach] = a;
      if (storage !== STORAGE) return commonError(`sandbox: no token in storage ${String(storage)}`);
      if (keyType !== 'SIGNATURE' && keyType !== 'AUTHENTICATION')
        return commonError('sandbox: keyType must be SIGNATURE or AUTHENTICATION');
      const data = typeof dataB64 === 'string' ? decodeBase64(dataB64) : undefined;
      if (!data) return commonError('sandbox: the data argument is not base64');
      if (typeof attach !== 'boolean') return commonError('sandbox: the attach argument must be true or false');
      const outcome = await person(ctx);
      if (outcome !== 'sign') return outcome === undefined ? undefined : commonOutcome(outcome, ctx);
      try {
        const cms = await (await ctx.signer(ctx.state.config.key)).signCms(data, { detached: !attach });
        ctx.state.signatures++;
        return { code: '200', responseObject: cms.toString('base64') };
      } catch (err) {
        ctx.state.failures++;
        return commonError(`sandbox: signing failed: ${(err as Error).message}`);
      }
    }
    default:
      return commonError(`sandbox: unknown method ${MODULE.commonUtils}.${method}`);
  }
}

function commonOutcome(outcome: 'cancel' | 'fail', ctx: ProtocolContext): Reply {
  if (outcome === 'cancel') {
    ctx.state.cancels++;
    return commonError('action.canceled');
  }
  ctx.state.failures++;
  return commonError(ctx.state.config.failMessage);
}

async function basics(method: string, args: unknown, ctx: ProtocolContext): Promise<Reply | undefined> {
  if (method !== 'sign') return basicsError('GENERAL_ERROR', `sandbox: unknown method ${MODULE.basics}.${method}`);
  const p = parseSignArgs(args);
  if (typeof p === 'string') return basicsError('INVALID_SIGNING_PARAMS', p);

  const outcome = await person(ctx);
  if (outcome === undefined) return undefined;
  if (outcome === 'cancel') {
    ctx.state.cancels++;
    return { status: true, body: {} };
  }
  if (outcome === 'fail') {
    ctx.state.failures++;
    return basicsError(ctx.state.config.failCode, ctx.state.config.failMessage);
  }
  try {
    const signer = await ctx.signer(ctx.state.config.key);
    const mismatch = signerMismatch(signer.certificate, p.signerParams);
    if (mismatch) {
      ctx.state.failures++;
      return basicsError('SIGNING_FAILURE', `sandbox: the chosen key does not match signerParams: ${mismatch}`);
    }
    const results: string[] = [];
    for (const data of p.data) results.push((await signer.signCms(data, { detached: !p.encapsulate })).toString('base64'));
    ctx.state.signatures += results.length;
    return { status: true, body: { result: p.isArray ? results : results[0] } };
  } catch (err) {
    ctx.state.failures++;
    return basicsError('SIGNING_FAILURE', `sandbox: signing failed: ${(err as Error).message}`);
  }
}

interface SignArgs {
  data: Uint8Array[];
  isArray: boolean;
  encapsulate: boolean;
  signerParams: { extKeyUsageOids: string[]; iin: string; bin: string };
}

function parseSignArgs(args: unknown): SignArgs | string {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return 'sandbox: args must be an object';
  const a = args as Record<string, unknown>;
  if (a.format !== 'cms') return `sandbox: format ${JSON.stringify(a.format)} is not supported (only "cms")`;
  const storages = a.allowedStorages;
  if (storages !== undefined && storages !== null && (!Array.isArray(storages) || !storages.includes(STORAGE)))
    return `sandbox: allowedStorages must include ${STORAGE}, the only storage with a token`;
  const sp = (a.signingParams ?? {}) as Record<string, unknown>;
  const decode = sp.decode !== false;
  const encapsulate = sp.encapsulate === true;
  const isArray = Array.isArray(a.data);
  const items = isArray ? (a.data as unknown[]) : [a.data];
  if (items.length === 0) return 'sandbox: data is empty';
  const data: Uint8Array[] = [];
  for (const item of items) {
    if (typeof item !== 'string') return 'sandbox: data must be a string or an array of strings';
    const bytes = decode ? decodeBase64(item) : Buffer.from(item, 'utf8');
    if (!bytes) return 'sandbox: data is not base64 (signingParams.decode is true)';
    data.push(bytes);
  }
  const rp = (a.signerParams ?? {}) as Record<string, unknown>;
  const oids = Array.isArray(rp.extKeyUsageOids) ? rp.extKeyUsageOids.filter((o): o is string => typeof o === 'string') : [];
  return {
    data,
    isArray,
    encapsulate,
    signerParams: { extKeyUsageOids: oids, iin: typeof rp.iin === 'string' ? rp.iin : '', bin: typeof rp.bin === 'string' ? rp.bin : '' },
  };
}

/** NCALayer offers only keys matching signerParams; a non-empty filter the chosen key fails is a refusal. */
function signerMismatch(cert: X509Certificate, p: SignArgs['signerParams']): string | undefined {
  const ekus = cert.keyUsage ?? [];
  const missing = p.extKeyUsageOids.filter((o) => !ekus.includes(o));
  if (missing.length) return `extended key usages ${missing.join(', ')} missing`;
  const subject = cert.subject.split('\n');
  if (p.iin && !subject.includes(`serialNumber=IIN${p.iin}`)) return 'iin differs';
  if (p.bin && !subject.includes(`OU=BIN${p.bin}`)) return 'bin differs';
  return undefined;
}

/** What the person does, after delayMs; undefined when the socket closed meanwhile. */
async function person(ctx: ProtocolContext): Promise<'sign' | 'cancel' | 'fail' | undefined> {
  const { delayMs } = ctx.state.config;
  if (delayMs > 0 && !(await ctx.wait(delayMs))) return undefined;
  const b = ctx.state.config.behaviour;
  return b === 'absent' ? undefined : b;
}

function decodeBase64(text: string): Buffer | undefined {
  const t = text.replace(/\s+/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

/** getKeyInfo's responseObject (field names from NCALayer's Java source; dates as epoch-ms strings). */
function keyInfo(signer: CmsSigner): Record<string, string> {
  const cert = signer.certificate;
  const ski = extensionKeyId(cert, '2.5.29.14');
  return {
    alias: ski ?? cert.serialNumber.toLowerCase(),
    keyId: ski ?? '',
    algorithm: signer.algorithm === 'RSA' ? 'RSA' : signer.algorithm.includes('2015') ? 'ECGOST3410-2015' : 'ECGOST34310',
    subjectCn: commonName(cert.subject),
    subjectDn: dn(cert.subject),
    issuerCn: commonName(cert.issuer),
    issuerDn: dn(cert.issuer),
    serialNumber: cert.serialNumber.toLowerCase(),
    certNotAfter: String(Date.parse(cert.validTo)),
    certNotBefore: String(Date.parse(cert.validFrom)),
    authorityKeyIdentifier: extensionKeyId(cert, '2.5.29.35') ?? '',
    pem: cert.toString(),
  };
}

const commonName = (name: string) => (name.split('\n').find((l) => l.startsWith('CN=')) ?? '').slice(3);
const dn = (name: string) => name.split('\n').reverse().join(',');

/** The key identifier of the subject (2.5.29.14) or authority (2.5.29.35) key identifier extension, hex. */
function extensionKeyId(cert: X509Certificate, oid: string): string | undefined {
  try {
    const ext = pkijs.Certificate.fromBER(cert.raw).extensions?.find((e) => e.extnID === oid);
    if (!ext) return undefined;
    const inner = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
    if (oid === '2.5.29.14') return Buffer.from((inner as asn1js.OctetString).valueBlock.valueHexView).toString('hex');
    const aki = new pkijs.AuthorityKeyIdentifier({ schema: inner });
    return aki.keyIdentifier ? Buffer.from(aki.keyIdentifier.valueBlock.valueHexView).toString('hex') : undefined;
  } catch {
    return undefined;
  }
}
