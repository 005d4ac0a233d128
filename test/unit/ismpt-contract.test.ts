// IS MPT schemas, token expiry and the mptSignIn input contract.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MptSignInInputSchema } from '../../src/flows/ismpt/mpt-sign-in.contract.js';
import { describeInputIssues } from '../../src/contracts/validation.js';
import { ChallengeSchema, SignInResponseSchema, tokenOf } from '../../src/providers/ismpt/schemas.js';
import { jwtExp, tokenExpiry } from '../../src/providers/ismpt/token.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const obtainedAt = new Date('2026-01-01T00:00:00Z');

describe('IS MPT response schemas', () => {
  it('accepts the seed challenge shape and extra fields', () => {
    assert.deepEqual(ChallengeSchema.parse({ uuid: 'u', data: 'd', extra: 1 }), { uuid: 'u', data: 'd' });
    assert.equal(ChallengeSchema.safeParse({ uuid: 'u' }).success, false);
  });
  it('accepts token, uuidToken+expireDate and access_token responses', () => {
    assert.equal(tokenOf(SignInResponseSchema.parse({ token: 'jwt' })), 'jwt');
    assert.equal(tokenOf(SignInResponseSchema.parse({ uuidToken: 'u', expireDate: '2026-01-01T10:00:00.000Z' })), 'u');
    assert.equal(tokenOf(SignInResponseSchema.parse({ access_token: 'a' })), 'a');
    const none = SignInResponseSchema.safeParse({ something: 'else' });
    assert.equal(none.success, false);
    assert.deepEqual(
      none.error!.issues.map((i) => i.path.join('.')),
      ['token'],
    );
  });
});

describe('tokenExpiry', () => {
  it('prefers the JWT exp', () => {
    const token = `${b64({ alg: 'HS256' })}.${b64({ exp: 1767261600 })}.sig`;
    assert.equal(jwtExp(token), 1767261600);
    const r = tokenExpiry({ token, expireDate: '2030-01-01T00:00:00Z', obtainedAt, defaultTtlMs: 1 });
    assert.deepEqual([r.expiresAt.toISOString(), r.source], ['2026-01-01T10:00:00.000Z', 'jwt-exp']);
  });
  it('falls back to expireDate, then to the default lifetime', () => {
    const r1 = tokenExpiry({ token: 'a-uuid-token', expireDate: '2026-01-01T09:59:00.000Z', obtainedAt, defaultTtlMs: 1 });
    assert.deepEqual([r1.expiresAt.toISOString(), r1.source], ['2026-01-01T09:59:00.000Z', 'expireDate']);
    const r2 = tokenExpiry({ token: 'opaque', obtainedAt, defaultTtlMs: 10 * 3600_000 });
    assert.deepEqual([r2.expiresAt.toISOString(), r2.source], ['2026-01-01T10:00:00.000Z', 'default']);
    const r3 = tokenExpiry({ token: `${b64({})}.${b64({ exp: 'soon' })}.s`, expireDate: 'garbage', obtainedAt, defaultTtlMs: 1000 });
    assert.equal(r3.source, 'default');
  });
});

describe('mptSignIn input', () => {
  const good = {
    baseUrl: 'https://stand.example/api/v3/true-api',
    signer: { kind: 'pkcs12', path: '/keys/a.p12', password: 'env:P12_PASSWORD' },
  };
  it('fills the defaults', () => {
    const p = MptSignInInputSchema.parse(good);
    assert.equal(p.defaultTokenTtlSeconds, 36000);
    assert.equal(p.maxChallengeAttempts, 3);
  });
  it('says what is wrong, and how to fix it, without echoing values', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...good, baseUrl: 'stand.example' }, /baseUrl: must be an absolute URL/],
      [{ ...good, baseUrl: 'ftp://stand.example' }, /baseUrl: must be an https URL, not ftp/],
      [{ ...good, baseUrl: 'http://stand.example/api' }, /baseUrl: must be https: plain http is allowed only on loopback/],
      [{ ...good, baseUrl: 'https://user:pw@stand.example' }, /baseUrl: must not contain credentials/],
      [{ ...good, signer: { ...good.signer, path: 'keys/a.p12' } }, /signer\.path: must be an absolute path/],
      [{ ...good, signer: { ...good.signer, password: 'Qwerty12' } }, /signer\.password: must be a secret reference, 'env:NAME'/],
      [{ ...good, signer: { ...good.signer, password: 'file:relative' } }, /signer\.password/],
      [{ ...good, maxChallengeAttempts: 0 }, /maxChallengeAttempts/],
    ];
    for (const [input, expected] of cases) {
      const r = MptSignInInputSchema.safeParse(input);
      assert.equal(r.success, false, JSON.stringify(input));
      const text = describeInputIssues(r.error!);
      assert.match(text, expected);
      assert.ok(!text.includes('Qwerty12') && !text.includes(':pw@'), text);
    }
  });
});
