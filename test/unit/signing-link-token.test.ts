// Sealed signing links (src/common/signing-link.ts): only a token sealed with our key opens, an
// expired one says so, and a token shows nothing of what it names.
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { linkKeyFromSecret, openLinkToken, sealLinkToken, signingLinkUrl, type SigningLink } from '../../src/common/signing-link.js';

const key = linkKeyFromSecret('a-test-secret-of-more-than-32-random-characters-0123456789');
const otherKey = linkKeyFromSecret('another-test-secret-of-more-than-32-random-characters-98765');
const now = new Date('2026-03-01T10:00:00Z');
const link: SigningLink = {
  workflowId: 'mpt-sign-in-person-seller-1042',
  requestId: '6f1c2b7e-3a4d-4e5f-8a9b-0c1d2e3f4a5b',
  expiresAt: new Date('2026-03-02T10:00:00Z'),
};

const malformed = (token: string) => assert.deepEqual(openLinkToken(key, token, now), { ok: false, problem: 'malformed' });

/** A token laid out like sealLinkToken's, with any version byte and plain text. */
function sealRaw(version: number, plain: string, k = key): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k, iv);
  cipher.setAAD(Buffer.from([version]));
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([version]), iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

describe('signing link tokens', () => {
  it('open to the link they were sealed from (expiry to the second)', () => {
    const token = sealLinkToken(key, link);
    assert.match(token, /^[A-Za-z0-9_-]+$/, 'URL-safe, no padding');
    assert.deepEqual(openLinkToken(key, token, now), { ok: true, link });
    const odd = { ...link, expiresAt: new Date('2026-03-02T10:00:00.750Z') };
    const opened = openLinkToken(key, sealLinkToken(key, odd), now);
    assert.ok(opened.ok);
    assert.equal(opened.link.expiresAt.toISOString(), '2026-03-02T10:00:00.000Z');
  });

  it('is malformed when any byte is altered', () => {
    const raw = Buffer.from(sealLinkToken(key, link), 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const altered = Buffer.from(raw);
      altered[i] = altered[i]! ^ 0x01;
      malformed(altered.toString('base64url'));
    }
  });

  it('is malformed under another key', () => {
    assert.deepEqual(openLinkToken(otherKey, sealLinkToken(key, link), now), { ok: false, problem: 'malformed' });
  });

  it('is malformed when truncated, extended or empty', () => {
    const token = sealLinkToken(key, link);
    for (const n of [0, 1, 10, 16, 30, token.length - 22, token.length - 1]) malformed(token.slice(0, n));
    malformed(token + 'A');
    malformed(token + 'AAAA');
  });

  it('has one spelling: a stray last character or altered unused bits are malformed, whatever the length', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let n = 1; n <= 8; n++) {
      const token = sealLinkToken(key, { ...link, workflowId: 'w'.repeat(n) });
      for (const extra of ['A', 'AA', 'AAA', 'AAAA', '=']) malformed(token + extra);
      // Every other last character: most change the bytes (the tag fails), the rest only unused bits.
      const last = token.at(-1)!;
      for (const c of alphabet) if (c !== last) malformed(token.slice(0, -1) + c);
    }
  });

  it('is malformed with another version, even when sealed consistently under it', () => {
    const plain = JSON.stringify({ w: link.workflowId, r: link.requestId, e: link.expiresAt.getTime() / 1000 });
    assert.ok(openLinkToken(key, sealRaw(1, plain), now).ok, 'the same layout under version 1 opens');
    malformed(sealRaw(2, plain));
    malformed(sealRaw(0, plain));
  });

  it('is malformed when the sealed fields are not the link (wrong types, not JSON)', () => {
    malformed(sealRaw(1, JSON.stringify({ w: 1, r: link.requestId, e: 1e10 })));
    malformed(sealRaw(1, JSON.stringify({ w: link.workflowId, r: link.requestId, e: '1e10' })));
    malformed(sealRaw(1, 'not json'));
  });

  it('is malformed when not a string, too long, or not base64url', () => {
    malformed(undefined as unknown as string);
    malformed(42 as unknown as string);
    malformed('A'.repeat(2049));
    malformed(sealLinkToken(key, link).replace(/^./, '+'));
    malformed('abc def');
    malformed('abc=');
  });

  it('is expired from its expiry on, and says when it expired', () => {
    const token = sealLinkToken(key, link);
    assert.ok(openLinkToken(key, token, new Date(link.expiresAt.getTime() - 1)).ok);
    for (const at of [link.expiresAt, new Date(link.expiresAt.getTime() + 86_400_000)])
      assert.deepEqual(openLinkToken(key, token, at), { ok: false, problem: 'expired', expiresAt: link.expiresAt });
  });

  it('an expired token sealed with another key is malformed, not expired (nothing is told about it)', () => {
    const old = sealLinkToken(otherKey, { ...link, expiresAt: new Date('2020-01-01T00:00:00Z') });
    malformed(old);
  });

  it('never shows the workflow id or the request id, in plain, base64 or hex', () => {
    for (let i = 0; i < 20; i++) {
      const token = sealLinkToken(key, link);
      const decoded = Buffer.from(token, 'base64url');
      for (const id of [link.workflowId, link.requestId]) {
        for (const piece of [id, id.slice(0, 12), id.slice(-12)]) {
          const b = Buffer.from(piece);
          for (const shown of [piece, b.toString('base64'), b.toString('base64url'), b.toString('hex')])
            assert.ok(!token.includes(shown.replace(/=+$/, '')), `token shows ${piece}`);
          assert.ok(!decoded.includes(b), `token bytes hold ${piece}`);
        }
      }
    }
  });

  it('two seals of the same link differ (fresh IV), and both open', () => {
    const a = sealLinkToken(key, link);
    const b = sealLinkToken(key, link);
    assert.notEqual(a, b);
    assert.ok(openLinkToken(key, a, now).ok && openLinkToken(key, b, now).ok);
  });

  it("an alert's link (deliveryId): the same for one delivery id and link, different IVs for other ids or other links, all open", () => {
    const a = sealLinkToken(key, link, 'wf/req/signing-requested');
    assert.equal(sealLinkToken(key, link, 'wf/req/signing-requested'), a, 'a redelivery carries the same link');
    const ivOf = (t: string) => Buffer.from(t, 'base64url').subarray(1, 13).toString('hex');
    const others = [
      sealLinkToken(key, link, 'wf/req/signing-reminder-1'),
      sealLinkToken(key, { ...link, requestId: 'another-request' }, 'wf/req/signing-requested'),
      sealLinkToken(key, { ...link, expiresAt: new Date(link.expiresAt.getTime() + 1000) }, 'wf/req/signing-requested'),
      sealLinkToken(linkKeyFromSecret('another secret of 32 or more characters, 0123'), link, 'wf/req/signing-requested'),
    ];
    assert.equal(new Set([a, ...others].map(ivOf)).size, 5, 'no IV is shared by two plaintexts or keys');
    for (const t of [a, ...others.slice(0, 3)]) assert.ok(openLinkToken(key, t, now).ok);
  });

  it('derives one key per secret', () => {
    assert.equal(key.length, 32);
    assert.deepEqual(linkKeyFromSecret('a-test-secret-of-more-than-32-random-characters-0123456789'), key);
    assert.notDeepEqual(otherKey, key);
  });

  it('puts the token in the fragment of the page URL', () => {
    assert.equal(signingLinkUrl('https://sign.example.kz/', 'TOKEN'), 'https://sign.example.kz/sign#TOKEN');
    assert.equal(signingLinkUrl('https://sign.example.kz/base', 'TOKEN'), 'https://sign.example.kz/base/sign#TOKEN');
  });
});
