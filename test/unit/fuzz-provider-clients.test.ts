// Property-based (fast-check) tests of the provider clients' handling of answers (ProviderHttp,
// src/providers/http.ts, through the real IS MPT, Cipher and Kontur clients) under random status
// codes, bodies, headers, resets and silence: within the timeout, data that matches the schema or a
// typed TrustflowError. Helpers: test/helpers/fuzz.ts.
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk) counterexample.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { ProviderContractViolation, ProviderHttpError, ProviderNetworkError, TrustflowError } from '../../src/common/errors.js';
import { CipherClient, VerifierResponseSchema } from '../../src/providers/cipher/index.js';
import { ChallengeSchema, IsmptClient, SignInResponseSchema } from '../../src/providers/ismpt/index.js';
import { AuthenticateResponseSchema, KonturClient, SessionResponseSchema } from '../../src/providers/kontur/index.js';
import { describeError, timedAsync } from '../helpers/fuzz.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

describe('provider clients under random answers', () => {
  const TIMEOUT_MS = 200;
  let server: Server;
  let base: string;
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const SECRET = 'sekret-7f3a9c';
  // Each call: the client method, and the check its data must pass when it resolves.
  const calls: Record<string, { call: () => Promise<unknown>; schema?: z.ZodType; check?: (data: unknown) => boolean; shaped: unknown[] }> =
    {
      ismptChallenge: {
        call: () => new IsmptClient({ baseUrl: `${base}/api/v3/true-api`, timeoutMs: TIMEOUT_MS }).fetchChallenge(),
        schema: ChallengeSchema,
        shaped: [
          { uuid: 'u-1', data: 'RANDOM' },
          { uuid: '', data: SECRET },
          { uuid: 1, data: SECRET },
        ],
      },
      ismptSignIn: {
        call: () => new IsmptClient({ baseUrl: `${base}/api`, timeoutMs: TIMEOUT_MS }).signIn({ uuid: 'u-1', data: 'c2lnbmVk' }),
        schema: SignInResponseSchema,
        shaped: [{ token: 'eyJ.x.y' }, { uuidToken: 'u', expireDate: '2030-01-01' }, { access_token: 7, refresh: SECRET }, { token: '' }],
      },
      cipherTicket: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).createTicket(),
        check: (d) => typeof d === 'string' && d.length > 0,
        shaped: [{ ticketUuid: 'a-b-c', message: 'ok' }, { ticketUuid: '' }, { ticketUuid: [SECRET] }],
      },
      cipherVerifier: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).verifyKeyStore('t-1', 'pw'),
        schema: VerifierResponseSchema,
        shaped: [
          { signature: { canBeUsed: true, certificateInfo: {} }, keyAgreement: { canBeUsed: false, message: 'нет ключа' } },
          { signature: { canBeUsed: 'true' }, keyAgreement: { canBeUsed: SECRET } },
        ],
      },
      cipherSigningStatus: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).signingStatus('t-1'),
        check: (d) => d === 'done' || d === 'running',
        shaped: [{}, { message: 'в процессе' }, { message: 5, failureCause: SECRET }],
      },
      cipherSignature: {
        call: () => new CipherClient({ baseUrl: `${base}/api/v1`, timeoutMs: TIMEOUT_MS }).signature('t-1'),
        check: (d) => Buffer.isBuffer(d),
        shaped: [{ base64Data: 'MIIB\nAAAA' }, { base64Data: `${SECRET}!` }],
      },
      konturAuthenticate: {
        call: () => new KonturClient({ baseUrl: base, timeoutMs: TIMEOUT_MS }).authenticateByCert(Buffer.from('cert'), true),
        schema: AuthenticateResponseSchema,
        shaped: [
          { EncryptedKey: 'AAAA', Link: { Rel: 'approve', Href: 'http://127.0.0.1/auth/v5.9/approve-cert' } },
          { EncryptedKey: SECRET, Link: {} },
        ],
      },
      konturRefresh: {
        call: () => new KonturClient({ baseUrl: base, timeoutMs: TIMEOUT_MS }).refreshSession('sid', 'refresh'),
        schema: SessionResponseSchema,
        shaped: [{ Sid: 's', RefreshToken: 'r' }, { Sid: SECRET }],
      },
    };

  const deepJson = fc
    .integer({ min: 1_000, max: 200_000 })
    .chain((n) => fc.constantFrom('['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n), '['.repeat(n)));
  const bodyOf = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...calls[name]!.shaped).map((v) => JSON.stringify(v)) },
      { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
      deepJson,
      fc.constantFrom(
        '',
        'null',
        '[]',
        '{}',
        '"x"',
        '1e999',
        '{"__proto__":{"uuid":"x","data":"y"}}',
        `{"message":"${SECRET}"}`,
        'RndBytesExpired',
        '[{"code":"auth-key-expired","message":"нет"}]',
      ),
      fc.integer({ min: 100_000, max: 1_000_000 }).map((n) => JSON.stringify({ uuid: 'u', data: 'x'.repeat(n) })),
    );
  const status = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(200, 201, 202) },
    fc.constantFrom(204, 301, 302, 304, 400, 401, 403, 404, 406, 408, 409, 429, 500, 502, 503, 504),
    fc.integer({ min: 200, max: 599 }),
  );
  const behaviour = fc.oneof({ weight: 12, arbitrary: fc.constant('answer') }, fc.constantFrom('short-body', 'reset', 'silent'));

  it('every answer ends, within the timeout, in data that matches the schema or a typed TrustflowError', async () => {
    const names = Object.keys(calls);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names).chain((name) =>
          fc.record({
            name: fc.constant(name),
            status,
            body: bodyOf(name),
            contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'text/html', undefined),
            retryAfter: fc.option(
              fc.oneof(
                fc.nat(100_000).map(String),
                fc.string({ maxLength: 30 }),
                fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
              ),
            ),
            behaviour,
          }),
        ),
        async (a) => {
          answer = (_req, res) => {
            if (a.behaviour === 'reset') return res.destroy();
            if (a.behaviour === 'silent') return; // the client's timeout must end it
            const headers: Record<string, string> = {};
            if (a.contentType) headers['content-type'] = a.contentType;
            if (a.retryAfter !== null) headers['retry-after'] = a.retryAfter.replace(/[^\x20-\x7e]/g, '');
            if (a.status >= 300 && a.status < 400) headers.location = 'http://evil.example/steal';
            const body = Buffer.from(a.body, 'latin1');
            if (a.behaviour === 'short-body') {
              res.writeHead(a.status, { ...headers, 'content-length': String(body.length + 100) });
              res.write(body);
              setTimeout(() => res.destroy(), 5);
              return;
            }
            res.writeHead(a.status, headers);
            res.end(body);
          };
          const c = calls[a.name]!;
          const out = await timedAsync(TIMEOUT_MS + 3000, a.name, c.call);
          if (out.ok) {
            assert.ok(
              a.status < 300 && a.behaviour !== 'reset' && a.behaviour !== 'silent',
              `resolved on HTTP ${a.status} / ${a.behaviour}`,
            );
            if (c.schema)
              assert.ok(
                c.schema.safeParse(out.value).success,
                `data does not match the schema: ${JSON.stringify(out.value)?.slice(0, 200)}`,
              );
            if (c.check) assert.ok(c.check(out.value), String(out.value));
            return;
          }
          const e = out.error;
          assert.ok(e instanceof TrustflowError, `threw ${describeError(e)}`);
          if (a.behaviour === 'reset' || a.behaviour === 'silent')
            assert.ok(e instanceof ProviderNetworkError && e.retryable, describeError(e));
          if (a.behaviour === 'answer' && a.status >= 300)
            assert.ok(e instanceof ProviderHttpError && e.status === a.status, describeError(e));
          if (e instanceof ProviderContractViolation) {
            assert.ok(a.status < 300 && !e.retryable);
            assert.ok(!e.message.includes(SECRET), `the violation quotes a value: ${e.message}`);
          }
          // A 2xx answer whose body matches the schema must not be refused.
          if (a.behaviour === 'answer' && a.status >= 200 && a.status <= 202 && c.schema) {
            let json: unknown;
            try {
              json = JSON.parse(a.body);
            } catch {
              return;
            }
            assert.ok(!c.schema.safeParse(json).success, `a valid body was refused: ${describeError(e)}`);
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
