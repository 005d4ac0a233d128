// The verifier semantics of seed 001 on the seed's own example: canBeUsed=true with a message is a
// usable key with a warning; canBeUsed=false with an empty message is an absent key; canBeUsed=false
// with a message is a refused key whose message is the reason. The summary leaves out personal data.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { summarizeKeyUsage, VerifierResponseSchema, type KeyUsageInfo } from '../../src/providers/cipher/index.js';
import { seedOrSkip } from '../helpers/paths.js';

/** The seed's JSON example (its one HTML artifact, `"ПАТ "Кредобанк&quot"`, repaired). */
async function seedVerifierExample(path: string) {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const start = lines.findIndex((l) => l.trim() === 'No Format');
  const end = lines.findIndex((l, i) => i > start && l.startsWith('Пример кода'));
  const text = lines
    .slice(start + 1, end)
    .join('\n')
    .replace('"ПАТ "Кредобанк&quot"', '"ПАТ \\"Кредобанк\\""');
  return VerifierResponseSchema.parse(JSON.parse(text));
}

describe('summarizeKeyUsage', () => {
  it("reads the seed's example: a usable signing key with the 6-day warning, no key-agreement key", async (t) => {
    const path = seedOrSkip(t, '001_7b84d44e8a1a515c.txt');
    if (!path) return;
    const v = await seedVerifierExample(path);
    const at = new Date('2018-09-16T09:00:00Z');
    const signature = summarizeKeyUsage(v.signature, at);
    assert.equal(signature.state, 'present');
    assert.match(signature.message!, /^До закінчення дії ключів залишилося менше 6 днів/);
    assert.deepEqual(signature.certificate, {
      owner: 'Співробітник банку',
      organization: 'ПАТ "Кредобанк"',
      issuer: 'ЦСК ТОВ "Сайфер БІС"',
      serialNumber: 'B8 BF CA F0 E1 7D B9 1C',
      notBefore: '2018-09-11T09:22:11Z',
      notAfter: '2018-09-21T21:00:00Z',
      daysLeft: 5, // 5 days 12 hours
      algorithm: 'ДСТУ 4145-2002, ПБ, little-endian',
      isTemporary: false,
      isQualified: false,
    });
    const text = JSON.stringify(signature);
    for (const personal of ['1234567891', '000123456', '01010101010115', 'Харків'])
      assert.ok(!text.includes(personal), `${personal} in the summary`);
    assert.deepEqual(summarizeKeyUsage(v.keyAgreement, at), { state: 'absent', message: null, certificate: null });
  });

  it('canBeUsed=false with a message is unusable, with the message as the reason', () => {
    const info: KeyUsageInfo = { canBeUsed: false, message: 'Сертифікат відкликано.', certificateInfo: {} };
    assert.deepEqual(summarizeKeyUsage(info, new Date()), { state: 'unusable', message: 'Сертифікат відкликано.', certificate: null });
  });

  it('treats a whitespace-only or null message as no message', () => {
    assert.equal(summarizeKeyUsage({ canBeUsed: false, message: '  ', certificateInfo: {} }, new Date()).state, 'absent');
    assert.equal(summarizeKeyUsage({ canBeUsed: true, message: null }, new Date()).message, null);
  });
});
