// "Did you mean …?": the edit distance and the choice of the closest name (workflow types, input keys).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestName, editDistance } from '../../src/common/closest-name.js';

const TYPES = [
  'cipherInspectKeyStore',
  'cipherSign',
  'kiscReconcile',
  'kiscVerifyIdentity',
  'konturSignIn',
  'kpsisIssueCertificate',
  'mptSignIn',
];

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('abc', 'abc'), 0);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('flaw', 'lawn'), 2);
    assert.equal(editDistance('mptSignIn', 'mptSignin'), 1);
    assert.equal(editDistance('cipherSign', 'cipherSig'), 1);
    assert.equal(editDistance('cipherSign', 'xcipherSign'), 1);
  });

  it('counts a swap of adjacent characters as one edit', () => {
    assert.equal(editDistance('ab', 'ba'), 1);
    assert.equal(editDistance('mptSignIn', 'mptSingIn'), 1);
    assert.equal(editDistance('ca', 'abc'), 3); // optimal string alignment: no edits inside a swapped pair
  });

  it('is case-sensitive and symmetric', () => {
    assert.equal(editDistance('ABC', 'abc'), 3);
    for (const [a, b] of [
      ['kitten', 'sitting'],
      ['mptSignin', 'konturSignIn'],
      ['', 'x'],
      ['abcd', 'badc'],
    ] as const) {
      assert.equal(editDistance(a, b), editDistance(b, a), `${a} / ${b}`);
    }
  });
});

describe('closestName', () => {
  it('finds the type a typo meant', () => {
    assert.equal(closestName('mptSignin', TYPES), 'mptSignIn');
    assert.equal(closestName('mptSingIn', TYPES), 'mptSignIn');
    assert.equal(closestName('cipherSing', TYPES), 'cipherSign');
    assert.equal(closestName('kiscVerifyIdentiy', TYPES), 'kiscVerifyIdentity');
    assert.equal(closestName('kontur_signin', TYPES), 'konturSignIn');
  });

  it('counts a name equal but for case as distance 0, whatever its length', () => {
    assert.equal(closestName('MPTSIGNIN', TYPES), 'mptSignIn');
    assert.equal(closestName('KPSISISSUECERTIFICATE', TYPES, 0), 'kpsisIssueCertificate');
    assert.equal(closestName('baseurl', ['baseUrl', 'tls'], 0), 'baseUrl');
    assert.equal(closestName('baseUrl', ['baseUrl'], 0), 'baseUrl');
  });

  it('offers nothing when no name is close enough', () => {
    assert.equal(closestName('startFlow', TYPES), undefined);
    assert.equal(closestName('mptSignInNow', TYPES), 'mptSignIn'); // 3 edits
    assert.equal(closestName('mptSignInLater', TYPES), undefined); // 5 edits
    assert.equal(closestName('mptSignInLater', TYPES, 5), 'mptSignIn');
    assert.equal(closestName('mptSignim', TYPES, 0), undefined);
    assert.equal(closestName('mptSignin', TYPES, 0), 'mptSignIn'); // equal but for case
    assert.equal(closestName('anything', []), undefined);
  });

  it('never offers a name that shares nothing with the one asked for', () => {
    assert.equal(closestName('foo', ['bar']), undefined);
    assert.equal(closestName('id', ['xy']), undefined);
    assert.equal(closestName('', ['a']), undefined);
    assert.equal(closestName('x', ['xyz']), 'xyz'); // 2 insertions keep the 'x'
  });

  it('prefers the nearest, then the one nearer in case, then the earlier candidate', () => {
    assert.equal(closestName('signer', ['signal', 'singer', 'signer2']), 'singer'); // 2, 1 (a swap), 1
    assert.equal(closestName('Token', ['TOKEN', 'token']), 'token');
    assert.equal(closestName('abcd', ['abcx', 'abcy']), 'abcx');
    assert.equal(closestName('abcd', ['abxx', 'abcx']), 'abcx');
  });
});
