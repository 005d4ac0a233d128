import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHmac, createPrivateKey, createSecretKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailureType, KeyStoreError } from '../../src/common/errors.js';
import { JwsVerificationError, signDetachedJws, verifyDetachedJws, type JwsAlgorithm, type JwsPayloadMode } from '../../src/crypto/jws.js';
import { OpensslError, runOpenssl, withPrivateTempDir } from '../../src/crypto/openssl.js';

const b64u = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');

function splitDetached(jws: string): { header: string; signature: Buffer } {
  const [header, middle, signature, ...rest] = jws.split('.');
  assert.equal(rest.length, 0);
  assert.equal(middle, '', 'the token must be detached');
  assert.ok(header && signature);
  return { header, signature: Buffer.from(signature, 'base64url') };
}

const headerOf = (jws: string): unknown => JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'));

// RFC 7515 Appendix A.1 HMAC key (also used by RFC 7797 section 4).
const RFC_HMAC_KEY = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';
const RFC_PAYLOAD = Buffer.from('$.02', 'ascii');
// RFC 7797 4.1: {"alg":"HS256"}, the payload base64url-encoded ("JC4wMg").
const RFC_4_1 = 'eyJhbGciOiJIUzI1NiJ9.JC4wMg.5mvfOroL-g7HyqJoozehmsaqmvTYGEq5jTI1gVvoEoQ';
// RFC 7797 4.2: {"alg":"HS256","b64":false,"crit":["b64"]}, the payload unencoded and detached.
const RFC_4_2 = 'eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..A5dxf2s96_n5FLueVuW1Z_vh161FwXZC4YLPff6dmDY';

describe('detached JWS: RFC 7797 section 4 examples', () => {
  const key = createSecretKey(Buffer.from(RFC_HMAC_KEY, 'base64url'));

  it('the RFC key decodes to the octets listed in RFC 7515 A.1', () => {
    const k = Buffer.from(RFC_HMAC_KEY, 'base64url');
    assert.equal(k.length, 64);
    assert.deepEqual([...k.subarray(0, 8)], [3, 35, 53, 75, 43, 15, 165, 188]);
    assert.deepEqual([...k.subarray(56)], [192, 205, 154, 245, 103, 208, 128, 163]);
  });

  it('4.2 (b64:false, unencoded): signing "$.02" gives the published JWS byte for byte', async () => {
    assert.equal(Buffer.from(RFC_4_2.split('.')[0]!, 'base64url').toString(), '{"alg":"HS256","b64":false,"crit":["b64"]}');
    assert.equal(await signDetachedJws(RFC_PAYLOAD, key, { alg: 'HS256', payloadMode: 'unencoded' }), RFC_4_2);
    const { header } = await verifyDetachedJws(RFC_4_2, RFC_PAYLOAD, key, { algorithms: ['HS256'] });
    assert.deepEqual(header, { alg: 'HS256', b64: false, crit: ['b64'] });
  });

  it('4.1 (b64 true, base64url): signing "$.02" gives the published JWS with its payload detached', async () => {
    const [h, p, s] = RFC_4_1.split('.');
    assert.equal(p, b64u(RFC_PAYLOAD));
    const detached = `${h}..${s}`;
    assert.equal(await signDetachedJws(RFC_PAYLOAD, key, { alg: 'HS256', payloadMode: 'base64url' }), detached);
    const { header } = await verifyDetachedJws(detached, RFC_PAYLOAD, key, { algorithms: ['HS256'] });
    assert.deepEqual(header, { alg: 'HS256' });
  });

  it('the RFC signatures do not verify over another payload', async () => {
    for (const jws of [RFC_4_2, RFC_4_1.replace('.JC4wMg.', '..')]) {
      await assert.rejects(verifyDetachedJws(jws, Buffer.from('$.03'), key, { algorithms: ['HS256'] }), JwsVerificationError);
    }
  });
});

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const body = Buffer.from(
  JSON.stringify({ operation: 'подписание', subject: 'Иванов Иван Иванович', note: 'ёЁ «кавычки» — тире', amount: '10.50' }),
  'utf8',
);

/** DER ECDSA-Sig-Value from JOSE's fixed-size r||s (RFC 7518 3.4), written out here so the check does not lean on node. */
function joseEcdsaToDer(raw: Buffer): Buffer {
  assert.equal(raw.length, 64);
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    const body = v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v;
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const seq = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}

/** Checks a detached JWS with `openssl dgst` over the RFC 7515 signing input rebuilt from the token. */
async function opensslVerifies(
  jws: string,
  payload: Uint8Array,
  alg: 'RS256' | 'PS256' | 'ES256',
  mode: JwsPayloadMode,
  publicKey: KeyObject,
): Promise<void> {
  const { header, signature } = splitDetached(jws);
  const input = Buffer.concat([Buffer.from(`${header}.`, 'ascii'), mode === 'unencoded' ? payload : Buffer.from(b64u(payload), 'ascii')]);
  await withPrivateTempDir(async (_dir, write) => {
    const pub = await write('pub.pem', publicKey.export({ type: 'spki', format: 'pem' }));
    const sig = await write('sig.bin', alg === 'ES256' ? joseEcdsaToDer(signature) : signature);
    const inp = await write('input.bin', input);
    const pss = alg === 'PS256' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:-1'] : [];
    const { stdout } = await runOpenssl(['dgst', '-sha256', '-verify', pub, ...pss, '-signature', sig, inp]);
    assert.match(stdout.toString(), /Verified OK/);
  });
}

describe('detached JWS: RS256, PS256, ES256 checked with the OpenSSL CLI', () => {
  const cases: Array<{ alg: 'RS256' | 'PS256' | 'ES256'; pair: { privateKey: KeyObject; publicKey: KeyObject } }> = [
    { alg: 'RS256', pair: rsa },
    { alg: 'PS256', pair: rsa },
    { alg: 'ES256', pair: ec },
  ];
  for (const { alg, pair } of cases) {
    for (const mode of ['unencoded', 'base64url'] as const) {
      it(`${alg} ${mode}: openssl dgst and verifyDetachedJws accept the signature over the Cyrillic JSON body`, async () => {
        const jws = await signDetachedJws(body, pair.privateKey, { alg, payloadMode: mode });
        await opensslVerifies(jws, body, alg, mode, pair.publicKey);
        const { header } = await verifyDetachedJws(jws, body, pair.publicKey, { algorithms: [alg] });
        assert.deepEqual(header, mode === 'unencoded' ? { alg, b64: false, crit: ['b64'] } : { alg });
      });
    }
  }

  it('the OpenSSL check itself fails on a changed byte (it is not a rubber stamp)', async () => {
    const jws = await signDetachedJws(body, ec.privateKey, { alg: 'ES256', payloadMode: 'unencoded' });
    const changed = Buffer.from(body);
    changed[changed.length - 3]! ^= 0x01;
    await assert.rejects(opensslVerifies(jws, changed, 'ES256', 'unencoded', ec.publicKey), OpensslError);
  });

  it('PS256 is really PSS: openssl rejects it as PKCS#1 v1.5', async () => {
    const jws = await signDetachedJws(body, rsa.privateKey, { alg: 'PS256', payloadMode: 'unencoded' });
    await assert.rejects(opensslVerifies(jws, body, 'RS256', 'unencoded', rsa.publicKey), OpensslError);
  });
});

describe('detached JWS: rejections', () => {
  const sign = (alg: JwsAlgorithm, key: KeyObject, payloadMode: JwsPayloadMode = 'unencoded') =>
    signDetachedJws(body, key, { alg, payloadMode });

  it('a changed payload byte fails verification in both modes', async () => {
    for (const mode of ['unencoded', 'base64url'] as const) {
      for (const [alg, pair] of [
        ['RS256', rsa],
        ['PS256', rsa],
        ['ES256', ec],
      ] as const) {
        const jws = await sign(alg, pair.privateKey, mode);
        const changed = Buffer.from(body);
        changed[10]! ^= 0x20;
        await assert.rejects(verifyDetachedJws(jws, changed, pair.publicKey, { algorithms: [alg] }), (e: unknown) => {
          assert.ok(e instanceof JwsVerificationError);
          assert.equal(e.name, 'JwsVerificationError');
          assert.match(e.message, /signature does not match/);
          return true;
        });
      }
    }
  });

  it('a changed signature byte fails verification', async () => {
    const jws = await sign('RS256', rsa.privateKey);
    const { header, signature } = splitDetached(jws);
    signature[0]! ^= 0x01;
    await assert.rejects(
      verifyDetachedJws(`${header}..${b64u(signature)}`, body, rsa.publicKey, { algorithms: ['RS256'] }),
      JwsVerificationError,
    );
  });

  it('a signature by another key fails verification', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jws = await sign('ES256', other.privateKey);
    await assert.rejects(verifyDetachedJws(jws, body, ec.publicKey, { algorithms: ['ES256'] }), /signature does not match/);
  });

  it('a token with an attached payload is rejected, even when the signature is right', async () => {
    for (const mode of ['unencoded', 'base64url'] as const) {
      const jws = await sign('ES256', ec.privateKey, mode);
      const attached = jws.replace('..', `.${b64u(body)}.`);
      await assert.rejects(verifyDetachedJws(attached, body, ec.publicKey, { algorithms: ['ES256'] }), (e: unknown) => {
        assert.ok(e instanceof JwsVerificationError);
        assert.match(e.message, /not a detached JWS/);
        return true;
      });
    }
    await assert.rejects(verifyDetachedJws('abc.def', body, ec.publicKey, { algorithms: ['ES256'] }), JwsVerificationError);
  });

  it('an algorithm not in the allowed list is rejected', async () => {
    const jws = await sign('RS256', rsa.privateKey);
    await assert.rejects(verifyDetachedJws(jws, body, rsa.publicKey, { algorithms: ['PS256'] }), (e: unknown) => {
      assert.ok(e instanceof JwsVerificationError);
      assert.match(e.message, /algorithm RS256 is not allowed/);
      return true;
    });
    await assert.rejects(verifyDetachedJws(jws, body, rsa.publicKey, { algorithms: [] }), /not allowed/);
  });

  it('an HS256 token made with the RSA public key as HMAC secret is rejected (algorithm confusion)', async () => {
    const secret = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const h = b64u(JSON.stringify({ alg: 'HS256', b64: false, crit: ['b64'] }));
    const mac = createHmac('sha256', secret).update(`${h}.`).update(body).digest();
    await assert.rejects(verifyDetachedJws(`${h}..${b64u(mac)}`, body, rsa.publicKey, { algorithms: ['RS256', 'HS256'] }), (e: unknown) => {
      assert.ok(e instanceof JwsVerificationError);
      assert.match(e.message, /HS256 needs a secret/);
      return true;
    });
  });

  it('b64:false without "b64" in crit is rejected, though the MAC over the raw bytes is right', async () => {
    const key = createSecretKey(Buffer.from(RFC_HMAC_KEY, 'base64url'));
    const h = b64u(JSON.stringify({ alg: 'HS256', b64: false }));
    const mac = createHmac('sha256', key.export()).update(`${h}.`).update(RFC_PAYLOAD).digest();
    await assert.rejects(verifyDetachedJws(`${h}..${b64u(mac)}`, RFC_PAYLOAD, key, { algorithms: ['HS256'] }), /without "b64" in crit/);
  });

  it('signing with a key that does not fit the algorithm throws KeyStoreError UnsupportedKey naming both', async () => {
    const check = (alg: JwsAlgorithm, key: KeyObject, pattern: RegExp) =>
      assert.rejects(sign(alg, key), (e: unknown) => {
        assert.ok(e instanceof KeyStoreError);
        assert.equal(e.type, FailureType.UnsupportedKey);
        assert.match(e.message, pattern);
        assert.doesNotMatch(e.message, /BEGIN|[A-Za-z0-9+/_-]{40,}/, 'no key material in the message');
        return true;
      });
    await check(
      'ES256',
      rsa.privateKey,
      /^ES256 signing needs an EC private key on the P-256 curve; got an RSA private key \(2048 bits\)$/,
    );
    await check(
      'RS256',
      ec.privateKey,
      /^RS256 signing needs an RSA private key of at least 2048 bits; got an EC private key on curve prime256v1$/,
    );
    await check('PS256', rsa.publicKey, /PS256 .* got an RSA public key/);
    await check('ES256', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, /got an EC private key on curve secp384r1/);
    await check('RS256', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, /got an RSA private key \(1024 bits\)/);
    await check(
      'HS256',
      createSecretKey(Buffer.alloc(16, 7)),
      /HS256 signing needs a secret \(HMAC\) key of at least 32 bytes; got a secret key of 16 bytes/,
    );
    await check('HS256', rsa.privateKey, /HS256 .* got an RSA private key/);
  });
});

describe('detached JWS: protected header', () => {
  it('unencoded mode: the header is exactly {alg, b64:false, crit:["b64"]}; base64url mode: exactly {alg}', async () => {
    const u = await signDetachedJws(body, ec.privateKey, { alg: 'ES256', payloadMode: 'unencoded' });
    assert.equal(Buffer.from(u.split('.')[0]!, 'base64url').toString(), '{"alg":"ES256","b64":false,"crit":["b64"]}');
    assert.deepEqual(headerOf(u), { alg: 'ES256', b64: false, crit: ['b64'] });
    const b = await signDetachedJws(body, ec.privateKey, { alg: 'ES256', payloadMode: 'base64url' });
    assert.deepEqual(headerOf(b), { alg: 'ES256' });
  });

  it('x5c carries the certificate DER (as openssl writes it) in base64, and kid is kept', async () => {
    await withPrivateTempDir(async (dir) => {
      const keyPem = join(dir, 'key.pem');
      const certPem = join(dir, 'cert.pem');
      const certDer = join(dir, 'cert.der');
      await runOpenssl([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPem,
        '-out',
        certPem,
        '-subj',
        '/CN=trustflow jws test',
        '-days',
        '1',
      ]);
      await runOpenssl(['x509', '-in', certPem, '-outform', 'DER', '-out', certDer]);
      const der = await readFile(certDer);
      const cert = new X509Certificate(await readFile(certPem));
      const privateKey = createPrivateKey(await readFile(keyPem));

      const jws = await signDetachedJws(body, privateKey, {
        alg: 'ES256',
        payloadMode: 'unencoded',
        certificates: [cert],
        kid: 'kisc-2025',
      });
      const header = headerOf(jws) as Record<string, unknown>;
      assert.deepEqual(header, { alg: 'ES256', b64: false, crit: ['b64'], kid: 'kisc-2025', x5c: [der.toString('base64')] });
      // RFC 7515 4.1.6: standard base64 (not base64url) of the DER.
      assert.match((header.x5c as string[])[0]!, /^[A-Za-z0-9+/]+=*$/);
      await verifyDetachedJws(jws, body, cert.publicKey, { algorithms: ['ES256'] });

      // A certificate of another key as the first x5c entry is refused.
      await assert.rejects(
        signDetachedJws(body, ec.privateKey, { alg: 'ES256', payloadMode: 'unencoded', certificates: [cert] }),
        (e: unknown) => e instanceof KeyStoreError && /not the certificate of the signing key/.test(e.message),
      );
    });
  });
});
