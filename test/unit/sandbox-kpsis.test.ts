// The KPSIS simulator answers the seed's example with a real PKCS#10 (UTF-8 subject, SANs, EC key),
// a PKCS#8 key container that any 3 of the 5 shards open (and 2 do not), validation codes with
// HTTP 200 counted in its state, owner-only files for save_to_file, and a sandbox CA whose
// certificates carry the request's key, verify against the CA and can be made not-yet-valid or expired.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createLogger } from '../../src/common/logger.js';
import { OpensslError, runOpenssl } from '../../src/crypto/openssl.js';
import { recoverSecretFromShards } from '../../src/sandbox/kpsis/secret-shards.js';
import { createKpsisSimulator, KPSIS_ERROR_CODES } from '../../src/sandbox/kpsis/simulator.js';
import { sandboxAdmin, type Simulator } from '../../src/sandbox/simulator.js';
import { seedOrSkip } from '../helpers/paths.js';

const SEED = '000_5ccba46e17b05fac.txt';

/** The JSON of the seed's "1.3. Пример запроса" (the text between it and "1.4."). */
async function seedRequest(t: TestContext): Promise<any | undefined> {
  const path = seedOrSkip(t, SEED);
  if (!path) return undefined;
  const text = await readFile(path, 'utf8');
  const start = text.indexOf('{', text.indexOf('1.3.'));
  return JSON.parse(text.slice(start, text.indexOf('1.4.', start)));
}

interface GenResponse {
  error: string;
  cert_request: string;
  key: string;
  secret_shards: string[];
}

function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k), ...subsets(n - 1, k - 1).map((s) => [...s, n - 1])];
}

async function opensslText(args: string[], input: Uint8Array | string): Promise<{ out: string; err: string }> {
  const r = await runOpenssl(args, { stdin: Buffer.from(input) });
  return { out: r.stdout.toString('utf8'), err: r.stderr };
}

/** The request's SubjectPublicKeyInfo, raw DER, as OpenSSL extracts it. */
async function csrSpki(csrDer: Buffer): Promise<Buffer> {
  const { out } = await opensslText(['req', '-inform', 'DER', '-pubkey', '-noout'], csrDer);
  return Buffer.from(out.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('KPSIS simulator', () => {
  let dir: string;
  let saveDir: string;
  let caPem: string;
  let sim: Simulator;
  let base: string;
  let logs = '';
  let seedResponse: Promise<{ request: any; response: GenResponse }> | undefined;

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', json: (await res.json()) as any };
  };
  /** The seed's request, sent once and shared by the tests that read its answer. */
  const generated = async (t: TestContext) => {
    const request = await seedRequest(t);
    if (!request) return undefined;
    seedResponse ??= post('/api/v1/gencertreq', request).then((r) => {
      assert.equal(r.status, 200);
      return { request, response: r.json as GenResponse };
    });
    return seedResponse;
  };
  const issue = (body: unknown) => post('/api/v1/ca/issue', body);
  const verifyWithCa = async (certPem: string) => {
    const certPath = join(dir, `cert-${Math.random().toString(36).slice(2)}.pem`);
    await writeFile(certPath, certPem);
    try {
      const r = await runOpenssl(['verify', '-CAfile', join(dir, 'ca.pem'), certPath]);
      return r.stdout.toString();
    } catch (e) {
      if (e instanceof OpensslError) return `FAILED ${e.stderr}`;
      throw e;
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-kpsis-'));
    saveDir = join(dir, 'keygensrvc');
    await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'ca.key')]);
    await runOpenssl([
      'req',
      '-x509',
      '-new',
      '-key',
      join(dir, 'ca.key'),
      '-subj',
      '/CN=Sandbox NCES CA/O=trustflow sandbox',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      join(dir, 'ca.pem'),
    ]);
    caPem = await readFile(join(dir, 'ca.pem'), 'utf8');
    const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void (logs += s) } });
    sim = createKpsisSimulator({ ca: { keyPem: await readFile(join(dir, 'ca.key'), 'utf8'), certPem: caPem }, saveDir, logger });
    base = await sim.listen();
  });
  after(async () => {
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers the seed example with error "0", a base64 DER request and container, and 5 ENCRYPTED PRIVATE KEY shards', async (t) => {
    const g = await generated(t);
    if (!g) return;
    const r = g.response;
    assert.equal(r.error, '0');
    assert.equal(typeof r.cert_request, 'string');
    assert.match(r.cert_request, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.match(r.key, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(r.secret_shards.length, 5);
    for (const s of r.secret_shards)
      assert.match(s, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END ENCRYPTED PRIVATE KEY-----\n?$/);
    assert.equal(new Set(r.secret_shards).size, 5);
    // The container: PKCS#8 PBES2 with the request's iteration count (10000 = 0x2710).
    const { out } = await opensslText(['asn1parse', '-inform', 'DER'], Buffer.from(r.key, 'base64'));
    for (const oid of ['PBES2', 'PBKDF2', 'hmacWithSHA256', 'aes-256-cbc']) assert.match(out, new RegExp(`OBJECT +:${oid}\\n`));
    assert.match(out, /INTEGER +:2710\n/);
  });

  it('the request is a real PKCS#10: its signature verifies, UTF-8 subject with the Cyrillic fields intact, the SANs, an EC P-256 key', async (t) => {
    const g = await generated(t);
    if (!g) return;
    const der = Buffer.from(g.response.cert_request, 'base64');
    // OpenSSL 3.0 exits 0 even on a bad self-signature: the verdict is the text.
    assert.match((await opensslText(['req', '-inform', 'DER', '-verify', '-noout'], der)).err, /self-signature verify OK/);
    const info = g.request.cert_req_param.cert_info;
    const parsed = (await opensslText(['asn1parse', '-inform', 'DER'], der)).out;
    for (const v of [info.common_name, info.description, info.organization, info.state, info.locality, info.street]) {
      assert.ok(parsed.includes(`prim: UTF8STRING        :${v}\n`), `UTF8String ${v}`);
    }
    assert.ok(parsed.includes(`prim: IA5STRING         :${info.email}\n`));
    const text = (await opensslText(['req', '-inform', 'DER', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus'], der)).out;
    assert.ok(
      text.includes(
        'Subject: CN=*.example.org,description=Какой-то сервис,O=ООО Организация,ST=Минский район,L=Минск,street=ул. Улица, 322, 212212,emailAddress=org@example.com',
      ),
      text,
    );
    assert.ok(text.includes(info.subject_alt_name.map((d: string) => `DNS:${d}`).join(', ')), 'SANs');
    const publicKey = createPublicKey({ key: await csrSpki(der), format: 'der', type: 'spki' });
    assert.equal(publicKey.asymmetricKeyType, 'ec');
    assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it("ANY 3 of the 5 shards with their passwords open the container, whose key is the request's; 2 shards do not", async (t) => {
    const g = await generated(t);
    if (!g) return;
    const passwords: string[] = g.request.key_param.passwords;
    const shards = g.response.secret_shards.map((pem, i) => ({ pem, password: passwords[i]! }));
    const container = Buffer.from(g.response.key, 'base64');
    const spki = await csrSpki(Buffer.from(g.response.cert_request, 'base64'));
    const open = (secret: Uint8Array) =>
      createPrivateKey({ key: container, format: 'der', type: 'pkcs8', passphrase: Buffer.from(secret).toString('hex') });
    for (const idx of subsets(5, 3)) {
      const secret = await recoverSecretFromShards(idx.map((i) => shards[i]!));
      assert.equal(secret.length, 16, 'level 128: a 16-byte container password');
      const publicDer = createPublicKey(open(secret)).export({ type: 'spki', format: 'der' });
      assert.deepEqual(publicDer, spki, `subset ${idx.join(',')}`);
    }
    for (const idx of subsets(5, 2)) {
      const wrong = await recoverSecretFromShards(idx.map((i) => shards[i]!));
      assert.throws(() => open(wrong), `subset ${idx.join(',')} must not open the container`);
    }
  });

  it('save_to_file writes cert_req.req, key.pem and shard1..5.pem with mode 0600, over older files', async (t) => {
    const request = await seedRequest(t);
    if (!request) return;
    await mkdir(saveDir, { recursive: true });
    await writeFile(join(saveDir, 'key.pem'), 'old', { mode: 0o644 });
    await writeFile(join(saveDir, 'shard7.pem'), 'a shard of an older key', { mode: 0o644 });
    const r = await post('/api/v1/gencertreq', { ...request, save_to_file: true });
    assert.equal(r.json.error, '0');
    const der = (pem: string) => Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const files = ['cert_req.req', 'key.pem', ...[1, 2, 3, 4, 5].map((i) => `shard${i}.pem`)];
    for (const f of files) assert.equal((await stat(join(saveDir, f))).mode & 0o777, 0o600, f);
    assert.match(await readFile(join(saveDir, 'cert_req.req'), 'utf8'), /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    assert.deepEqual(der(await readFile(join(saveDir, 'cert_req.req'), 'utf8')), Buffer.from(r.json.cert_request, 'base64'));
    assert.match(await readFile(join(saveDir, 'key.pem'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    assert.deepEqual(der(await readFile(join(saveDir, 'key.pem'), 'utf8')), Buffer.from(r.json.key, 'base64'));
    for (const i of [1, 2, 3, 4, 5]) assert.equal(await readFile(join(saveDir, `shard${i}.pem`), 'utf8'), r.json.secret_shards[i - 1]);
    assert.ok(!existsSync(join(saveDir, 'shard7.pem')), 'a stale shard of another key is removed');
  });

  it('every validation rule answers HTTP 200 with its code, and the state counts them', async (t) => {
    const seed = await seedRequest(t);
    if (!seed) return;
    await sandboxAdmin(sim.adminBaseUrl, 'reset');
    const C = KPSIS_ERROR_CODES;
    const variant = (edit: (r: any) => void) => {
      const r = structuredClone(seed);
      r.save_to_file = false;
      edit(r);
      return r;
    };
    const cases: [string, unknown, string][] = [
      ['security_level 100', variant((r) => (r.key_param.security_level = 100)), C.securityLevel],
      ['security_level "128" (a string)', variant((r) => (r.key_param.security_level = '128')), C.securityLevel],
      ['iteration_count 9999', variant((r) => (r.key_param.iteration_count = 9999)), C.iterationCount],
      ['iteration_count 10000.5', variant((r) => (r.key_param.iteration_count = 10000.5)), C.iterationCount],
      [
        'users_num 17',
        variant((r) => ((r.key_param.users_num = 17), (r.key_param.passwords = Array(17).fill('12345678')))),
        C.usersThreshold,
      ],
      ['treshold_num 1', variant((r) => (r.key_param.treshold_num = 1)), C.usersThreshold],
      ['treshold_num 6 > users_num 5', variant((r) => (r.key_param.treshold_num = 6)), C.usersThreshold],
      [
        '"threshold_num" (correct spelling, so the real field is missing)',
        variant((r) => ((r.key_param.threshold_num = 3), delete r.key_param.treshold_num)),
        C.usersThreshold,
      ],
      ['4 passwords for 5 users', variant((r) => r.key_param.passwords.pop()), C.passwords],
      ['an empty password', variant((r) => (r.key_param.passwords[2] = '')), C.passwords],
      ['a numeric password', variant((r) => (r.key_param.passwords[0] = 12345678)), C.passwords],
      ['type "tls" (not allowed by default)', variant((r) => (r.cert_req_param.type = 'tls')), C.requestType],
      ['empty common_name', variant((r) => (r.cert_req_param.cert_info.common_name = ' ')), C.certInfo],
      ['no organization', variant((r) => delete r.cert_req_param.cert_info.organization), C.certInfo],
      ['a SAN that is no DNS name', variant((r) => r.cert_req_param.cert_info.subject_alt_name.push('bad name!')), C.certInfo],
      ['a newline in locality', variant((r) => (r.cert_req_param.cert_info.locality = 'Минск\n[x]')), C.certInfo],
      ['a common_name of 65 characters', variant((r) => (r.cert_req_param.cert_info.common_name = 'я'.repeat(65))), C.certInfo],
      ['no key_param', variant((r) => delete r.key_param), C.malformedRequest],
      ['not JSON', 'key_param=1', C.malformedRequest],
    ];
    const expected: Record<string, number> = {};
    for (const [label, body, code] of cases) {
      const r = await post('/api/v1/gencertreq', body);
      assert.equal(r.status, 200, label);
      assert.match(r.contentType, /^application\/json/);
      assert.deepEqual(r.json, { error: code }, label);
      expected[code] = (expected[code] ?? 0) + 1;
    }
    const state = await sandboxAdmin(sim.adminBaseUrl, 'state');
    assert.deepEqual(state.errors, expected);
    assert.equal(state.requestsGenerated, 0);
    assert.deepEqual(Object.keys(expected).sort(), ['1', '2', '3', '4', '5', '6', '7']);
  });

  it('config: allowedTypes lets another type through; unknown switches are refused (strict)', async (t) => {
    const seed = await seedRequest(t);
    if (!seed) return;
    await sandboxAdmin(sim.adminBaseUrl, 'reset');
    await assert.rejects(sandboxAdmin(sim.adminBaseUrl, 'config', { allowedTypez: ['tls'] }), /HTTP 400/);
    await assert.rejects(sandboxAdmin(sim.adminBaseUrl, 'config', { allowedTypes: [] }), /HTTP 400/);
    await sandboxAdmin(sim.adminBaseUrl, 'config', { allowedTypes: ['tls'] });
    const tls = {
      ...seed,
      save_to_file: false,
      key_param: { ...seed.key_param, users_num: 2, treshold_num: 2, passwords: ['a', 'b'] },
      cert_req_param: { ...seed.cert_req_param, type: 'tls' },
    };
    assert.equal((await post('/api/v1/gencertreq', tls)).json.error, '0');
    assert.equal(
      (await post('/api/v1/gencertreq', { ...tls, cert_req_param: seed.cert_req_param })).json.error,
      KPSIS_ERROR_CODES.requestType,
    );
    const state = await sandboxAdmin(sim.adminBaseUrl, 'state');
    assert.equal(state.requestsGenerated, 1);
    assert.deepEqual(state.config, { allowedTypes: ['tls'] });
    await sandboxAdmin(sim.adminBaseUrl, 'reset');
    assert.deepEqual((await sandboxAdmin(sim.adminBaseUrl, 'state')).config, { allowedTypes: ['service_and_tls'] });
  });

  it('security level 256: a P-521 key and a 32-byte container password', async (t) => {
    const seed = await seedRequest(t);
    if (!seed) return;
    const passwords = ['первый', 'second'];
    const r = await post('/api/v1/gencertreq', {
      ...seed,
      save_to_file: false,
      key_param: { security_level: 256, iteration_count: 10000, users_num: 2, treshold_num: 2, passwords },
    });
    assert.equal(r.json.error, '0');
    const secret = await recoverSecretFromShards(r.json.secret_shards.map((pem: string, i: number) => ({ pem, password: passwords[i]! })));
    assert.equal(secret.length, 32);
    const key = createPrivateKey({
      key: Buffer.from(r.json.key, 'base64'),
      format: 'der',
      type: 'pkcs8',
      passphrase: Buffer.from(secret).toString('hex'),
    });
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'secp521r1');
    const text = (await opensslText(['req', '-inform', 'DER', '-noout', '-text'], Buffer.from(r.json.cert_request, 'base64'))).out;
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA512/);
  });

  it("the sandbox CA issues a certificate with the request's key, subject and SANs, which openssl verify -CAfile accepts", async (t) => {
    const g = await generated(t);
    if (!g) return;
    const before = (await sandboxAdmin(sim.adminBaseUrl, 'state')).certificatesIssued as number;
    const r = await issue({ cert_request: g.response.cert_request });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.match(r.json.certificate, /^-----BEGIN CERTIFICATE-----\n/);
    const cert = new X509Certificate(r.json.certificate);
    assert.equal(r.json.serial, cert.serialNumber);
    assert.match(r.json.serial, /^[0-9A-F]+$/);
    assert.deepEqual(cert.publicKey.export({ type: 'spki', format: 'der' }), await csrSpki(Buffer.from(g.response.cert_request, 'base64')));
    assert.ok(cert.checkIssued(new X509Certificate(caPem)));
    assert.match(cert.subject, /^CN=\*\.example\.org$/m);
    assert.match(cert.subject, /^L=Минск$/m);
    assert.match(cert.subject, /^O=ООО Организация$/m);
    assert.equal(cert.subjectAltName, 'DNS:*.example.org, DNS:www.example.org');
    assert.equal(cert.ca, false);
    assert.match(await verifyWithCa(r.json.certificate), /: OK\n/);
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    assert.equal(days, 365);
    // PEM in, too.
    const pemCsr = `-----BEGIN CERTIFICATE REQUEST-----\n${g.response.cert_request.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    const r2 = await issue({ cert_request: pemCsr, days: 30 });
    assert.equal(r2.status, 200);
    assert.notEqual(r2.json.serial, r.json.serial);
    assert.equal((await sandboxAdmin(sim.adminBaseUrl, 'state')).certificatesIssued, before + 2);
  });

  it('not_before_days in the future makes a not-yet-valid certificate, a window in the past an expired one', async (t) => {
    const g = await generated(t);
    if (!g) return;
    const now = Date.now();
    const future = await issue({ cert_request: g.response.cert_request, not_before_days: 10, days: 30 });
    assert.equal(future.status, 200);
    const f = new X509Certificate(future.json.certificate);
    assert.ok(Date.parse(f.validFrom) > now + 9 * 86_400_000, f.validFrom);
    assert.ok(Date.parse(f.validTo) - Date.parse(f.validFrom) === 30 * 86_400_000, f.validTo);
    assert.match(await verifyWithCa(future.json.certificate), /FAILED[\s\S]*not yet valid/);

    const past = await issue({ cert_request: g.response.cert_request, not_before_days: -30, days: 10 });
    assert.equal(past.status, 200);
    const p = new X509Certificate(past.json.certificate);
    assert.ok(Date.parse(p.validTo) < now - 19 * 86_400_000, p.validTo);
    assert.ok(Date.parse(p.validFrom) < Date.parse(p.validTo));
    assert.match(await verifyWithCa(past.json.certificate), /FAILED[\s\S]*expired/);
  });

  it('the CA answers 400 to a request whose signature does not verify, to garbage and to a bad body', async (t) => {
    const g = await generated(t);
    if (!g) return;
    const der = Buffer.from(g.response.cert_request, 'base64');
    const tampered = Buffer.from(der);
    const at = tampered.indexOf(Buffer.from('www.example.org'));
    assert.ok(at > 0);
    tampered[at] = 'v'.charCodeAt(0); // vww.example.org: still parses, the signature no longer matches
    const before = (await sandboxAdmin(sim.adminBaseUrl, 'state')).certificatesIssued as number;
    const bad = await issue({ cert_request: tampered.toString('base64') });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /does not verify/);
    assert.equal((await issue({ cert_request: 'AAAA' })).status, 400);
    assert.equal((await issue({ cert_request: 'not base64 at all!' })).status, 400);
    assert.equal((await issue({ cert_request: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })).status, 400);
    assert.equal((await issue({ days: 30 })).status, 400);
    assert.equal((await issue({ cert_request: g.response.cert_request, days: 0 })).status, 400);
    assert.equal((await sandboxAdmin(sim.adminBaseUrl, 'state')).certificatesIssued, before);
  });

  it('never puts passwords, shards or keys in its state or logs', async (t) => {
    const seed = await seedRequest(t);
    if (!seed) return;
    const passwords = ['Zx9-unique-pass-1', 'Zx9-unique-pass-2', 'Zx9-unique-pass-3'];
    const r = await post('/api/v1/gencertreq', {
      ...seed,
      save_to_file: false,
      key_param: { ...seed.key_param, users_num: 3, treshold_num: 2, passwords },
    });
    assert.equal(r.json.error, '0');
    const secret = await recoverSecretFromShards(
      r.json.secret_shards.slice(0, 2).map((pem: string, i: number) => ({ pem, password: passwords[i]! })),
    );
    const state = JSON.stringify(await sandboxAdmin(sim.adminBaseUrl, 'state'));
    assert.ok(logs.includes('kpsis sandbox'), 'the simulator does log');
    const b64Lines = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    const forbidden = [
      ...passwords,
      Buffer.from(secret).toString('hex'),
      r.json.key.slice(0, 40),
      ...r.json.secret_shards.flatMap((s: string) => b64Lines(s).slice(0, 2)),
    ];
    for (const f of forbidden) {
      assert.ok(!logs.includes(f), 'a secret reached the log');
      assert.ok(!state.includes(f), 'a secret reached the state');
    }
  });
});
