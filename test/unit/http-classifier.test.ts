// The one HTTP classifier and the one failure mapper, against a real local HTTP server.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import {
  FailureType,
  ProviderContractViolation,
  ProviderHttpError,
  ProviderNetworkError,
  SecretUnavailableError,
} from '../../src/common/errors.js';
import { toApplicationFailure } from '../../src/common/failures.js';
import { classifyHttpStatus, extractProviderError, parseRetryAfter, ProviderHttp } from '../../src/providers/http.js';

describe('classifyHttpStatus', () => {
  it('retries 5xx, 408 and 429 and nothing else', () => {
    for (const s of [500, 502, 503, 504, 408, 429]) assert.equal(classifyHttpStatus(s).retryable, true, String(s));
    for (const s of [400, 401, 403, 404, 406, 409, 410, 422]) assert.equal(classifyHttpStatus(s).retryable, false, String(s));
  });
  it('honours Retry-After in seconds and as an HTTP date, capped at 5 minutes', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(classifyHttpStatus(429, '7', now).retryAfterMs, 7000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('86400', now), 300_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(classifyHttpStatus(403, '7', now).retryAfterMs, undefined, 'no delay on non-retryable statuses');
  });
});

describe('extractProviderError', () => {
  it('reads RU-style objects, KZ-style arrays and short plain text', () => {
    assert.deepEqual(extractProviderError('{"error_message":"Пользователь не найден"}', 'application/json'), {
      message: 'Пользователь не найден',
    });
    assert.deepEqual(extractProviderError('[{"code":"user-incorrect-login-or-password","context":{}}]', 'application/json'), {
      code: 'user-incorrect-login-or-password',
    });
    assert.deepEqual(extractProviderError('WrongKey', 'text/plain; charset=utf-8'), { message: 'WrongKey' });
    assert.deepEqual(extractProviderError('<html>error</html>', 'text/html'), {});
  });
  it('cuts long messages', () => {
    const long = JSON.stringify({ message: 'x'.repeat(5000) });
    assert.equal(extractProviderError(long, 'application/json').message!.length, 300);
  });
});

describe('toApplicationFailure', () => {
  it('maps retryable provider errors to retryable failures with nextRetryDelay', () => {
    const f = toApplicationFailure(
      new ProviderHttpError({ provider: 'P', endpoint: 'GET /x', status: 503, retryable: true, retryAfterMs: 2000 }),
    );
    assert.equal(f.nonRetryable, false);
    assert.equal(f.type, FailureType.ProviderUnavailable);
    assert.equal(f.nextRetryDelay, 2000);
  });
  it('maps 4xx, secrets and contract violations to non-retryable failures with stable types', () => {
    assert.equal(
      toApplicationFailure(
        new ProviderHttpError({
          provider: 'P',
          endpoint: 'POST /y',
          status: 403,
          providerCode: 'c',
          providerMessage: 'm',
          retryable: false,
        }),
      ).nonRetryable,
      true,
    );
    const s = toApplicationFailure(new SecretUnavailableError('env:X', 'not set'));
    assert.deepEqual([s.type, s.nonRetryable], [FailureType.SecretUnavailable, true]);
    assert.equal(
      toApplicationFailure(new ProviderContractViolation('P', 'GET /z', ['a (invalid_type)'])).type,
      FailureType.ProviderContractViolation,
    );
  });
  it('never forwards the message of an unexpected error (it may quote a secret)', () => {
    const f = toApplicationFailure(new TypeError('cannot parse Qwerty12'));
    assert.ok(f instanceof ApplicationFailure);
    assert.ok(!f.message.includes('Qwerty12'));
    assert.equal(f.nonRetryable, false);
  });
});

describe('ProviderHttp against a local server', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      const send = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body);
      };
      if (req.url === '/ok') return send(200, '{"value":"v"}');
      if (req.url === '/busy') return send(503, '{}', { 'retry-after': '3' });
      if (req.url === '/forbidden') return send(403, '{"code":"denied","error_message":"Доступ запрещён"}');
      if (req.url === '/redirect') return send(302, '{}', { location: 'http://192.0.2.1/steal' });
      if (req.url === '/notjson') return send(200, 'not json');
      if (req.url === '/wrongshape') return send(200, '{"value":12345}');
      send(404, '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const schema = z.object({ value: z.string() });
  const call = (path: string, baseUrl = base) =>
    new ProviderHttp({ provider: 'Test', baseUrl, timeoutMs: 2000 }).request({ method: 'GET', path, endpoint: `GET /${path}`, schema });

  it('returns the parsed body on 2xx', async () => assert.deepEqual(await call('ok'), { value: 'v' }));
  it('classifies 503 with Retry-After as retryable', async () => {
    const err = await call('busy').catch((e: unknown) => e);
    assert.ok(err instanceof ProviderHttpError);
    assert.deepEqual([err.status, err.retryable, err.retryAfterMs], [503, true, 3000]);
  });
  it('classifies 403 as rejected, with the provider code and message', async () => {
    const err = await call('forbidden').catch((e: unknown) => e);
    assert.ok(err instanceof ProviderHttpError);
    assert.deepEqual([err.retryable, err.providerCode, err.providerMessage], [false, 'denied', 'Доступ запрещён']);
  });
  it('does not follow redirects', async () => {
    const err = await call('redirect').catch((e: unknown) => e);
    assert.ok(err instanceof ProviderHttpError);
    assert.equal(err.status, 302);
    assert.equal(err.retryable, false);
  });
  it('reports a non-JSON or wrongly shaped body as a contract violation naming paths, not values', async () => {
    const a = await call('notjson').catch((e: unknown) => e);
    assert.ok(a instanceof ProviderContractViolation);
    const b = await call('wrongshape').catch((e: unknown) => e);
    assert.ok(b instanceof ProviderContractViolation);
    assert.deepEqual(b.paths, ['value (invalid_type)']);
    assert.ok(!b.message.includes('12345'));
  });
  it('reports a refused connection as a retryable network error that surely did not send', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await call('ok', `http://127.0.0.1:${port}`).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderNetworkError);
    assert.deepEqual([err.retryable, err.code, err.requestSurelyNotSent], [true, 'ECONNREFUSED', true]);
    // Which address failed is the first thing an operator needs (a typo, a firewall, a stopped service).
    assert.match(err.message, new RegExp(`network error ECONNREFUSED reaching 127\\.0\\.0\\.1:${port}$`));
  });
  it('names the host and the default port when a name does not resolve', async () => {
    const err = await call('ok', 'https://no-such-stand.invalid/api').catch((e: unknown) => e);
    assert.ok(err instanceof ProviderNetworkError);
    assert.match(err.message, /reaching no-such-stand\.invalid:443$/);
  });
});

describe('the transport rule in the HTTP layer', () => {
  it('refuses plain http to another host, whatever an input schema let through', () => {
    assert.throws(
      () => new ProviderHttp({ provider: 'Test', baseUrl: 'http://stand.example.kz/api' }),
      (e: unknown) => {
        assert.equal((e as { type?: string }).type, FailureType.InvalidInput);
        assert.match((e as Error).message, /Test base URL must be https: plain http is allowed only on loopback/);
        return true;
      },
    );
    assert.throws(
      () => new ProviderHttp({ provider: 'Test', baseUrl: 'https://user:pw@stand.example.kz/' }),
      /must not contain credentials/,
    );
    assert.throws(() => new ProviderHttp({ provider: 'Test', baseUrl: 'ftp://stand.example.kz/' }), /must be an https URL, not ftp/);
    // A loopback look-alike is not loopback.
    assert.throws(
      () => new ProviderHttp({ provider: 'Test', baseUrl: 'http://127.0.0.1.example.kz/' }),
      /plain http is allowed only on loopback/,
    );
  });
  it('accepts https anywhere and plain http on loopback, without a warning', () => {
    const warnings: string[] = [];
    for (const baseUrl of ['https://stand.example.kz/api', 'http://127.0.0.1:8088', 'http://localhost:1/', 'http://[::1]:8088/']) {
      new ProviderHttp({ provider: 'Test', baseUrl, warnPlainHttp: (m) => warnings.push(m) });
    }
    assert.deepEqual(warnings, []);
  });
  it('allows plain http to a closed segment only with the opt-in, and warns on every use', () => {
    const warnings: string[] = [];
    for (let i = 0; i < 2; i++)
      new ProviderHttp({
        provider: 'KPSIS',
        baseUrl: 'http://kpsis.internal:8088',
        allowPlainHttp: true,
        warnPlainHttp: (m) => warnings.push(m),
      });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /KPSIS over plain http to kpsis\.internal:8088 \(allowPlainHttp\).*in clear/);
  });
});
