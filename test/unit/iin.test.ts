// The Kazakh IIN check digit: weights 1..11 mod 11; when that gives 10, weights 3..11,1,2 mod 11;
// a second 10 means no IIN can start with those 11 digits. And the input schema's message for a
// wrong check digit, which must never quote the IIN.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KiscVerifyIdentityInputSchema } from '../../src/flows/kisc/kisc-verify-identity.contract.js';
import { iinCheckDigit, iinProblem, isValidIin, withIinCheckDigit } from '../../src/common/iin.js';

// Hand-computed: the memo's placeholder 123456789012, first 11 digits 1 2 3 4 5 6 7 8 9 0 1.
//   first pass, weights 1..11:
//     1·1 + 2·2 + 3·3 + 4·4 + 5·5 + 6·6 + 7·7 + 8·8 + 9·9 + 10·0 + 11·1
//     = 1 + 4 + 9 + 16 + 25 + 36 + 49 + 64 + 81 + 0 + 11 = 296;  296 = 26·11 + 10 → 10: second pass
//   second pass, weights 3 4 5 6 7 8 9 10 11 1 2:
//     3·1 + 4·2 + 5·3 + 6·4 + 7·5 + 8·6 + 9·7 + 10·8 + 11·9 + 1·0 + 2·1
//     = 3 + 8 + 15 + 24 + 35 + 48 + 63 + 80 + 99 + 0 + 2 = 377;  377 = 34·11 + 3 → check digit 3
// So 123456789013 is a valid IIN and the memo's 123456789012 is not.
const WEIGHTS_1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const WEIGHTS_2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
const weighted = (first11: string, w: number[]) => [...first11].reduce((s, d, i) => s + Number(d) * w[i]!, 0);

describe('iinCheckDigit', () => {
  it('the memo placeholder 123456789012: first pass 296 mod 11 = 10, second 377 mod 11 = 3', () => {
    assert.equal(weighted('12345678901', WEIGHTS_1), 296);
    assert.equal(296 % 11, 10);
    assert.equal(weighted('12345678901', WEIGHTS_2), 377);
    assert.equal(377 % 11, 3);
    assert.equal(iinCheckDigit('12345678901'), 3);
    assert.equal(isValidIin('123456789013'), true);
    assert.equal(isValidIin('123456789012'), false);
    assert.equal(iinProblem('123456789012'), 'check_digit');
    assert.equal(withIinCheckDigit('12345678901'), '123456789013');
  });

  it('accepts the sandbox IINs 890101300002 and 920315400000', () => {
    // 890101300002: 8+18+0+4+0+6+21+0+0+0+0 = 57 = 5·11 + 2 → 2
    assert.equal(iinCheckDigit('89010130000'), 2);
    // 920315400000: 9+4+0+12+5+30+28+0+0+0+0 = 88 = 8·11 + 0 → 0
    assert.equal(iinCheckDigit('92031540000'), 0);
    for (const iin of ['890101300002', '920315400000']) {
      assert.equal(isValidIin(iin), true, iin);
      assert.equal(iinProblem(iin), undefined, iin);
    }
  });

  it('exactly one of the 10 possible last digits is valid', () => {
    for (const prefix of ['89010130000', '92031540000', '12345678901', '99014000001']) {
      const valid = Array.from({ length: 10 }, (_, d) => `${prefix}${d}`).filter(isValidIin);
      assert.equal(valid.length, 1, prefix);
      assert.equal(valid[0], withIinCheckDigit(prefix), prefix);
      for (let d = 0; d < 10; d++) {
        if (`${prefix}${d}` !== valid[0]) assert.equal(iinProblem(`${prefix}${d}`), 'check_digit', `${prefix}${d}`);
      }
    }
  });

  it('agrees with an independent implementation on many prefixes', () => {
    let secondPass = 0;
    for (let n = 0; n < 5000; n++) {
      const prefix = String((n * 7919 * 104729 + 12345) % 1e11).padStart(11, '0');
      const a = weighted(prefix, WEIGHTS_1) % 11;
      const b = weighted(prefix, WEIGHTS_2) % 11;
      const expected = a !== 10 ? a : b !== 10 ? b : undefined;
      if (a === 10) secondPass++;
      assert.equal(iinCheckDigit(prefix), expected, prefix);
    }
    assert.ok(secondPass > 100, `the second pass was exercised (${secondPass} times)`);
  });

  it('reports format errors: 11 or 13 digits, letters, spaces, empty', () => {
    for (const bad of [
      '89010130000',
      '8901013000020',
      '89010130000a',
      'A90101300002',
      '890101 300002',
      ' 890101300002',
      '890101300002 ',
      '',
      '８９０１０１３０００００２',
    ]) {
      assert.equal(iinProblem(bad), 'format', JSON.stringify(bad));
      assert.equal(isValidIin(bad), false, JSON.stringify(bad));
    }
    assert.throws(() => iinCheckDigit('8901013000'), /expected 11 digits/);
    assert.throws(() => iinCheckDigit('890101300002'), /expected 11 digits/);
    assert.throws(() => iinCheckDigit('8901013000a'), /expected 11 digits/);
  });

  it('an 11-digit prefix whose both passes give 10 has no check digit', () => {
    let prefix: string | undefined;
    for (let n = 0; n < 1_000_000 && !prefix; n++) {
      const p = String(n).padStart(11, '0');
      if (weighted(p, WEIGHTS_1) % 11 === 10 && weighted(p, WEIGHTS_2) % 11 === 10) prefix = p;
    }
    assert.ok(prefix, 'brute force found a prefix with no check digit');
    assert.equal(iinCheckDigit(prefix), undefined);
    assert.equal(withIinCheckDigit(prefix), undefined);
    for (let d = 0; d < 10; d++) assert.equal(iinProblem(`${prefix}${d}`), 'check_digit', `${prefix}${d}`);
  });
});

describe('KiscVerifyIdentityInputSchema iin', () => {
  const input = (iin: string) => ({
    baseUrl: 'https://onlinetest.kisc.kz/identity/1.1.0',
    tls: { p12: '/etc/trustflow/kisc/tls.p12', password: 'env:KISC_TLS_PASSWORD', ca: '/etc/trustflow/kisc/ca.pem' },
    iin,
    vendor: 1,
    photo: 'file:/tmp/photo.png',
    minSimilarity: 0.8,
    fetchPersonalData: false,
  });

  it('accepts a valid IIN', () => {
    const r = KiscVerifyIdentityInputSchema.safeParse(input('890101300002'));
    assert.equal(r.success, true, r.success ? '' : JSON.stringify(r.error.issues));
  });

  it('explains a wrong check digit without quoting the IIN', () => {
    const r = KiscVerifyIdentityInputSchema.safeParse(input('890101300003'));
    assert.equal(r.success, false);
    const issues = r.error!.issues.filter((i) => i.path.join('.') === 'iin');
    assert.equal(issues.length, 1, JSON.stringify(r.error!.issues));
    assert.equal(issues[0]!.message, 'is not a valid IIN: its check digit (the 12th digit) does not match; check for a typo');
    for (const text of [r.error!.message, JSON.stringify(r.error!.issues)]) {
      assert.ok(!text.includes('890101300003'), `the IIN leaked: ${text}`);
      assert.ok(!text.includes('89010130000'), `part of the IIN leaked: ${text}`);
    }
  });

  it('a wrong format says 12 digits, also without the value', () => {
    const r = KiscVerifyIdentityInputSchema.safeParse(input('8901013000'));
    assert.equal(r.success, false);
    const issues = r.error!.issues.filter((i) => i.path.join('.') === 'iin');
    assert.deepEqual(
      issues.map((i) => i.message),
      ['must be exactly 12 digits (an IIN)'],
    );
    assert.ok(!JSON.stringify(r.error!.issues).includes('8901013000'));
  });
});
