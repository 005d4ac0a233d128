// The one logger redacts secrets at any depth and never logs HTTP response bodies.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, REDACTED } from '../../src/common/logger.js';
import { ProviderHttpError } from '../../src/common/errors.js';
import { TemporalLoggerAdapter } from '../../src/worker/runtime.js';

function capture() {
  let out = '';
  const destination = new Writable({ write: (chunk, _e, cb) => ((out += chunk.toString()), cb()) });
  return { logger: createLogger({ name: 't', level: 'trace', destination }), out: () => out };
}

describe('logger', () => {
  it('redacts secret fields at any depth and in arrays', () => {
    const c = capture();
    c.logger.info(
      {
        password: 'P1',
        signer: { password: 'P2', path: '/k.p12' },
        headers: { authorization: 'Bearer T1', cookie: 'c=1', 'x-jws-signature': 'J1' },
        result: { token: 'T2', refreshToken: 'T3', sid: 'S1', expiresAt: '2026' },
        list: [{ accessToken: 'T4' }],
        key: 'K1',
        keyId: 'k1',
      },
      'event',
    );
    const out = c.out();
    for (const s of ['P1', 'P2', 'T1', 'c=1', 'J1', 'T2', 'T3', 'S1', 'T4', 'K1']) assert.ok(!out.includes(s), `${s} leaked: ${out}`);
    assert.ok(out.includes(REDACTED) && out.includes('/k.p12') && out.includes('"keyId":"k1"') && out.includes('"expiresAt":"2026"'));
  });

  it('logs errors without response bodies or request options', () => {
    const c = capture();
    const httpError = Object.assign(new Error('Response code 403 (Forbidden)'), {
      name: 'HTTPError',
      code: 'ERR_NON_2XX_3XX_RESPONSE',
      response: { body: '{"sid":"SESSION-42"}', headers: { 'set-cookie': 'auth=C2' } },
      options: { json: { password: 'P3' }, headers: { authorization: 'Bearer T5' } },
    });
    c.logger.error({ err: httpError, nested: { error: httpError } }, 'call failed');
    const out = c.out();
    for (const s of ['SESSION-42', 'C2', 'P3', 'T5']) assert.ok(!out.includes(s), `${s} leaked: ${out}`);
    assert.ok(out.includes('Response code 403') && out.includes('ERR_NON_2XX_3XX_RESPONSE'));
  });

  it('keeps the failure type of trustflow errors', () => {
    const c = capture();
    c.logger.warn(
      {
        err: new ProviderHttpError({
          provider: 'IS MPT',
          endpoint: 'POST /auth/simpleSignIn',
          status: 403,
          providerCode: 'denied',
          providerMessage: 'Доступ запрещён',
          retryable: false,
        }),
      },
      'x',
    );
    assert.match(c.out(), /"type":"ProviderRejected"/);
  });

  it('routes Temporal runtime log calls through the same redaction', () => {
    const c = capture();
    const t = new TemporalLoggerAdapter(c.logger);
    t.warn('Activity failed', {
      activityType: 'mptExchangeToken',
      token: 'T6',
      error: Object.assign(new Error('boom'), { response: { body: 'B7' } }),
    });
    const out = c.out();
    assert.ok(out.includes('mptExchangeToken') && out.includes('"level":40') && !out.includes('T6') && !out.includes('B7'));
  });
});
