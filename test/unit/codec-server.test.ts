// The codec server over real HTTP: the Web UI/CLI wire format, CORS, bearer auth, limits, errors, logs.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { newKeyEntry, parseKeyring } from '../../src/codec/keyring.js';
import { AesGcmPayloadCodec } from '../../src/codec/payload-codec.js';
import { CodecServer } from '../../src/codec/server.js';
import { createLogger } from '../../src/common/logger.js';

const UI = 'http://127.0.0.1:8233';
const codec = new AesGcmPayloadCodec(parseKeyring(newKeyEntry('k1'), 't'));
let logs = '';
const logger = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }) });
const open = new CodecServer({ codec, port: 0, corsOrigins: [UI], logger, maxBodyBytes: 64 * 1024 });
const guarded = new CodecServer({ codec, port: 0, corsOrigins: [UI], logger, authToken: 'codec-token-123' });

const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const post = (server: CodecServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('codec server', () => {
  before(async () => {
    await open.listen();
    await guarded.listen();
  });
  after(async () => {
    await open.close();
    await guarded.close();
  });

  it('listens on loopback by default', () => assert.match(open.url, /^http:\/\/127\.0\.0\.1:\d+$/));

  it('decodes what the worker encoded and encodes what it decodes, in the Web UI format', async () => {
    const secret = { token: 'VISIBLE-ONLY-DECODED' };
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload(secret)]);
    const res = await post(open, '/decode', { payloads: [toJson(enc!)] }, { 'x-namespace': 'default' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.equal(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString()), secret);

    const back = await post(open, '/encode', body);
    const reenc = (await back.json()) as { payloads: { metadata: Record<string, string> }[] };
    assert.equal(Buffer.from(reenc.payloads[0]!.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
    assert.ok(!logs.includes('VISIBLE-ONLY-DECODED') && !logs.includes(body.payloads[0]!.data), 'no payload content in logs');
    assert.match(logs, /"path":"\/decode","namespace":"default","status":200,"payloads":1/);
  });

  it('answers CORS preflight for the UI origin only', async () => {
    const ok = await fetch(open.url + '/decode', { method: 'OPTIONS', headers: { origin: UI, 'access-control-request-method': 'POST' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), UI);
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
    const evil = await fetch(open.url + '/decode', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const evilPost = await post(open, '/decode', { payloads: [] }, { origin: 'https://evil.example' });
    assert.equal(evilPost.status, 403);
  });

  it('requires the bearer token when one is configured', async () => {
    assert.equal((await post(guarded, '/decode', { payloads: [] })).status, 401);
    assert.equal((await post(guarded, '/decode', { payloads: [] }, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await post(guarded, '/decode', { payloads: [] }, { authorization: 'Bearer codec-token-123' })).status, 200);
  });

  it('answers the CLI\'s "no payloads" body ({} — protobuf JSON omits an empty list) with an empty list', async () => {
    for (const path of ['/decode', '/encode']) {
      for (const body of [{}, { payloads: [] }]) {
        const res = await post(open, path, body, { 'x-namespace': 'default' });
        assert.equal(res.status, 200, `${path} ${JSON.stringify(body)}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/json/);
        assert.deepEqual(await res.json(), { payloads: [] });
      }
    }
    assert.match(logs, /"path":"\/encode","namespace":"default","status":200,"payloads":0/);
    // The other checks still apply to the empty body.
    assert.equal((await post(guarded, '/decode', {})).status, 401);
    assert.equal((await post(guarded, '/decode', {}, { authorization: 'Bearer codec-token-123' })).status, 200);
    assert.equal((await post(open, '/decode', {}, { origin: 'https://evil.example' })).status, 403);
    const cors = await post(open, '/decode', {}, { origin: UI });
    assert.equal(cors.status, 200);
    assert.equal(cors.headers.get('access-control-allow-origin'), UI);
    for (const body of ['', 'null', '[]', { payloads: null }, { payloads: {} }]) {
      assert.equal((await post(open, '/decode', body)).status, 400, JSON.stringify(body));
    }
  });

  it('answers malformed bodies with a short 400 and no stack trace', async () => {
    for (const body of ['not json', { payloads: 'x' }, { payloads: [{ data: '%%%' }] }]) {
      const res = await post(open, '/decode', body);
      assert.equal(res.status, 400);
      const text = await res.text();
      assert.ok(text.length < 200 && !/\bat \w+ \(/.test(text), text);
    }
    const foreign = await codec.encode([defaultPayloadConverter.toPayload(1)]);
    const other = new CodecServer({
      codec: new AesGcmPayloadCodec(parseKeyring(newKeyEntry('k9'), 't')),
      port: 0,
      corsOrigins: [],
      logger,
    });
    await other.listen();
    const res = await post(other, '/decode', { payloads: [toJson(foreign[0]!)] });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /codec key 'k1'/);
    await other.close();
  });

  it('limits the body size and the methods', async () => {
    assert.equal((await post(open, '/decode', 'x'.repeat(100 * 1024))).status, 413);
    const get = await fetch(open.url + '/decode');
    assert.equal(get.status, 405, 'a known path with another method');
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
    assert.equal((await fetch(open.url + '/default/encode', { method: 'PUT' })).status, 405);
    for (const path of ['/other', '/', '/a/b/decode', '/default/decode/x', '/decode/']) {
      assert.equal((await post(open, path, { payloads: [] })).status, 404, path);
    }
  });
});

// Temporal's codec-server protocol, as other SDKs and the CLI's endpoint templating use it.
describe('codec server: the protocol', () => {
  const any = new CodecServer({ codec, port: 0, corsOrigins: [], logger });
  const served = new CodecServer({ codec, port: 0, corsOrigins: [], logger, namespaces: ['payments', 'payments.acct1'] });
  before(async () => {
    await any.listen();
    await served.listen();
  });
  after(async () => {
    await any.close();
    await served.close();
  });
  const payloadsOf = async (res: Response) =>
    ((await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;

  it('serves /{namespace}/encode and /{namespace}/decode as /encode and /decode, and logs the namespace', async () => {
    const enc = await post(any, '/default/encode', { payloads: [toJson(defaultPayloadConverter.toPayload('x'))] });
    assert.equal(enc.status, 200);
    const dec = await post(any, '/default/decode', { payloads: await payloadsOf(enc) });
    assert.equal(dec.status, 200);
    assert.equal(Buffer.from((await payloadsOf(dec))[0]!.data, 'base64').toString(), '"x"');
    assert.match(logs, /"path":"\/default\/decode","namespace":"default","status":200,"payloads":1/);
    assert.equal((await post(any, '/my%2Dns/decode', { payloads: [] })).status, 200, 'percent-encoded segment');
  });

  it('answers several payloads with the same number, in the same order, passing unencrypted ones through', async () => {
    const plain = [1, 'two', { three: 3 }, undefined].map((v) => defaultPayloadConverter.toPayload(v));
    const encrypted = await codec.encode(plain.slice(0, 2));
    const mixed = [encrypted[0]!, plain[2]!, encrypted[1]!, plain[3]!].map(toJson);
    const res = await post(any, '/decode', { payloads: mixed }, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(res.status, 200);
    const out = await payloadsOf(res);
    assert.deepEqual(
      out.map((p) => Buffer.from(p.data, 'base64').toString()),
      ['1', '{"three":3}', '"two"', ''],
    );
    assert.equal(Buffer.from(out[3]!.metadata.encoding!, 'base64').toString(), 'binary/null');
  });

  it('takes the namespace from the path or X-Namespace, refusing the two disagreeing', async () => {
    const ok = await post(any, '/default/decode', { payloads: [] }, { 'x-namespace': 'default' });
    assert.equal(ok.status, 200);
    const clash = await post(any, '/default/decode', { payloads: [] }, { 'x-namespace': 'other' });
    assert.equal(clash.status, 400);
    assert.match(await clash.text(), /the path names namespace 'default' but X-Namespace says 'other'/);
    assert.equal((await post(any, '/decode', { payloads: [] }, { 'x-namespace': 'bad name!' })).status, 400);
    // The temporal CLI without --namespace: an empty X-Namespace, and `{namespace}` filled with nothing.
    assert.equal((await post(any, '/decode', { payloads: [] }, { 'x-namespace': '' })).status, 200);
    assert.equal((await post(any, '//decode', { payloads: [] }, { 'x-namespace': '' })).status, 200);
  });

  it('with a namespace list, serves those only', async () => {
    assert.equal((await post(served, '/payments/decode', { payloads: [] })).status, 200);
    assert.equal((await post(served, '/decode', { payloads: [] }, { 'x-namespace': 'payments.acct1' })).status, 200);
    const other = await post(served, '/decode', { payloads: [] }, { 'x-namespace': 'default' });
    assert.equal(other.status, 403);
    assert.match(await other.text(), /namespace 'default' is not served here/);
    const unnamed = await post(served, '/decode', { payloads: [] });
    assert.equal(unnamed.status, 400);
    assert.match(await unnamed.text(), /X-Namespace header or \/\{namespace\}\/decode/);
  });

  it('takes JSON only: 415 for another content type, with what to send', async () => {
    const form = await post(any, '/decode', '{"payloads":[]}', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    assert.match(await form.text(), /Content-Type: application\/json/);
    assert.equal((await post(any, '/decode', '{}', { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(any, '/decode', '{}', { 'content-type': 'application/vnd.temporal+json' })).status, 200);
    const bare = await fetch(any.url + '/decode', { method: 'POST', body: new Uint8Array(Buffer.from('{}')) });
    assert.equal(bare.status, 200, 'no content type at all is read as JSON');
  });
});

// The Web UI behind OIDC passes the user's access token (TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true): the
// codec server checks it against the issuer's keys, served here by a real HTTP JWKS endpoint.
describe('codec server with OIDC access tokens', () => {
  const issuer = 'https://idp.example.test/realms/ops';
  let jwksServer: import('node:http').Server;
  let server: CodecServer;
  let signingKey: import('jose').CryptoKey;
  let otherKey: import('jose').CryptoKey;

  before(async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const { createServer } = await import('node:http');
    jwksServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const port = (jwksServer.address() as import('node:net').AddressInfo).port;
    server = new CodecServer({
      codec,
      port: 0,
      corsOrigins: [UI],
      logger,
      oidc: { issuer, audience: 'temporal-ui', jwksUrl: `http://127.0.0.1:${port}/jwks` },
    });
    await server.listen();
  });
  after(async () => {
    await server.close();
    jwksServer.closeAllConnections();
    await new Promise<void>((r) => jwksServer.close(() => r()));
  });

  const token = async (claims: { iss?: string; aud?: string; expiresIn?: string }, key = signingKey) => {
    const { SignJWT } = await import('jose');
    return new SignJWT({ sub: 'operator@bank' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? 'temporal-ui')
      .setIssuedAt()
      .setExpirationTime(claims.expiresIn ?? '5m')
      .sign(key);
  };
  const decode = async (auth?: string) =>
    (await post(server, '/decode', { payloads: [] }, auth ? { authorization: `Bearer ${auth}` } : {})).status;

  it("accepts the UI user's valid access token and refuses none, another issuer, audience, key or an expired one", async () => {
    assert.equal(await decode(await token({})), 200);
    assert.equal(await decode(), 401);
    assert.equal(await decode(await token({ iss: 'https://evil.example.test' })), 401);
    assert.equal(await decode(await token({ aud: 'another-api' })), 401);
    assert.equal(await decode(await token({}, otherKey)), 401);
    assert.equal(await decode(await token({ expiresIn: '-1m' })), 401);
    assert.equal(await decode('not-a-jwt'), 401);
    assert.doesNotMatch(logs, /eyJ[\w-]{20,}\./, 'no token in the logs');
  });
});
