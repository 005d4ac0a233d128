// certificateFacts / certificationRequestFacts against what Node and OpenSSL say about the same
// DER: serial, validity, the raw SubjectPublicKeyInfo, subject (Cyrillic), SANs.
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { base64ToBytes } from '../../src/common/base64.js';
import { FailureType, TrustflowError } from '../../src/common/errors.js';
import { certificateFacts, certificationRequestFacts, DerFormatError } from '../../src/common/x509-der.js';
import { runOpenssl, withPrivateTempDir } from '../../src/crypto/openssl.js';

async function opensslMade(): Promise<{ csr: Buffer; certPem: string }> {
  return withPrivateTempDir(async (dir, writePrivate) => {
    const cnf = await writePrivate(
      'req.cnf',
      [
        '[req]',
        'prompt = no',
        'utf8 = yes',
        'string_mask = utf8only',
        'distinguished_name = dn',
        'req_extensions = ext',
        '[dn]',
        'CN = *.example.by',
        'O = ООО Организация',
        'L = Минск',
        '[ext]',
        'subjectAltName = DNS:*.example.by, DNS:www.example.by',
      ].join('\n'),
    );
    const key = `${dir}/k.pem`;
    await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    await runOpenssl(['req', '-new', '-key', key, '-config', cnf, '-outform', 'DER', '-out', `${dir}/r.der`]);
    await runOpenssl(['req', '-x509', '-key', key, '-config', cnf, '-days', '10', '-set_serial', '0x0A1B2C', '-out', `${dir}/c.pem`]);
    return { csr: await readFile(`${dir}/r.der`), certPem: await readFile(`${dir}/c.pem`, 'utf8') };
  });
}

describe('x509-der', () => {
  it('reads a certificate as Node does', async () => {
    const { certPem } = await opensslMade();
    const node = new X509Certificate(certPem);
    const f = certificateFacts(certPem);
    assert.equal(f.serialNumber, node.serialNumber.replace(/^0+/, '').padStart(6, '0'));
    assert.equal(f.notBefore, new Date(node.validFrom).toISOString());
    assert.equal(f.notAfter, new Date(node.validTo).toISOString());
    assert.deepEqual(Buffer.from(base64ToBytes(f.subjectPublicKeyInfo)), node.publicKey.export({ type: 'spki', format: 'der' }));
    assert.equal(f.publicKeyAlgorithm, 'EC P-256');
  });

  it('reads a PKCS#10 request: Cyrillic subject, SANs, the same public key bytes as its certificate', async () => {
    const { csr, certPem } = await opensslMade();
    const f = certificationRequestFacts(csr);
    assert.equal(f.subject, 'CN=*.example.by, O=ООО Организация, L=Минск');
    assert.deepEqual(f.subjectAltNames, ['DNS:*.example.by', 'DNS:www.example.by']);
    assert.equal(f.subjectPublicKeyInfo, certificateFacts(certPem).subjectPublicKeyInfo);
    assert.ok(createPublicKey({ key: Buffer.from(base64ToBytes(f.subjectPublicKeyInfo)), format: 'der', type: 'spki' }));
    assert.deepEqual(certificationRequestFacts(csr.toString('base64')), f, 'base64 input works too');
  });

  it('refuses what is not DER', () => {
    assert.throws(() => certificateFacts('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), DerFormatError);
    assert.throws(() => certificateFacts('not base64 at all!'), DerFormatError);
    // A TrustflowError like every other: the error boundary keeps its type, non-retryable.
    assert.throws(
      () => certificateFacts('not base64 at all!'),
      (e: unknown) => e instanceof TrustflowError && e.type === FailureType.InvalidInput && !e.retryable,
    );
  });
});
