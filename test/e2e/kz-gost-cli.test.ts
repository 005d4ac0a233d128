// The done-when of Kazakh GOST support, as a user types it: `trustflow cms sign` with NCA RK's
// GOSTKNCA test key, `trustflow cms verify` on the result, and `trustflow cert verify` on NCA's GOST
// and RSA test chains, all as separate processes (local tools: no Temporal server).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { trustflowCli } from '../helpers/processes.js';
import { vectorsOrSkip } from '../helpers/paths.js';

const GOSTKNCA = 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12';
let tmp: string;
const env: NodeJS.ProcessEnv = { ...process.env, V: 'Qwerty12', WRONG: 'qwerty12' };
const trustflow = trustflowCli(() => env);

before(async () => (tmp = await mkdtemp(join(tmpdir(), 'trustflow-kz-gost-cli-'))));
after(() => rm(tmp, { recursive: true, force: true }));

describe('trustflow cms sign / verify with a Kazakh GOST key', () => {
  it('signs attached and detached CMS with GOSTKNCA_*.p12 that cms verify accepts; other content fails', async (t) => {
    const p12 = vectorsOrSkip(t, 'nca', GOSTKNCA);
    if (!p12) return;
    const doc = join(tmp, 'doc.txt');
    await writeFile(doc, 'құжат / документ\n');
    for (const detached of [false, true]) {
      const out = join(tmp, `doc.${detached ? 'detached' : 'attached'}.p7s`);
      const s = await trustflow(
        'cms',
        'sign',
        '--p12',
        p12,
        '--password-env',
        'V',
        '--in',
        doc,
        '--out',
        out,
        ...(detached ? ['--detached'] : []),
      );
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /signed \(GOST 34\.310-2004 \(Kazakhstan\)\)/);
      assert.match(s.stderr, /warning: .* expired/, 'the 2019 certificate is named as expired, but a local tool still signs');
      // Signed today by a certificate that expired in 2019: the signature is sound, the verdict is not.
      const v = await trustflow('cms', 'verify', '--in', out, ...(detached ? ['--content', doc] : []));
      assert.equal(v.code, 1, v.stdout + v.stderr);
      const report = JSON.parse(v.stdout);
      assert.deepEqual(
        [report.valid, report.signatureValid, report.detached, report.certificateValidity],
        [false, true, detached, 'expired'],
      );
      assert.equal(report.certificateCheckedAt.source, 'signingTime attribute');
      assert.match(report.problems.join('\n'), /signer's certificate expired on 2019-.* before 20\d\d-/);
      assert.match(report.signer.subject, /IIN123456789011/);
      // Asked about a day the certificate was valid: valid.
      const then = await trustflow('cms', 'verify', '--in', out, '--at', '2019-01-01', ...(detached ? ['--content', doc] : []));
      assert.equal(then.code, 0, then.stdout + then.stderr);
      assert.deepEqual([JSON.parse(then.stdout).valid, JSON.parse(then.stdout).certificateCheckedAt.source], [true, '--at']);
    }
    const other = join(tmp, 'other.txt');
    await writeFile(other, 'another document\n');
    const wrong = await trustflow('cms', 'verify', '--in', join(tmp, 'doc.detached.p7s'), '--content', other);
    assert.equal(wrong.code, 1);
    assert.equal(JSON.parse(wrong.stdout).signatureValid, false);
  });

  it('a wrong password names the variable and exits 1', async (t) => {
    const p12 = vectorsOrSkip(t, 'nca', GOSTKNCA);
    if (!p12) return;
    const doc = join(tmp, 'pw.txt');
    await writeFile(doc, 'x');
    const s = await trustflow('cms', 'sign', '--p12', p12, '--password-env', 'WRONG', '--in', doc, '--out', join(tmp, 'pw.p7s'));
    assert.equal(s.code, 1);
    assert.match(s.stderr, /wrong password.*env:WRONG/);
  });
});

describe('trustflow cert verify', () => {
  it('ceo_valid_sign_2004_gost.cer against nca_gost_test.crt at 2022-06-01: a valid GOST 2004 signature', async (t) => {
    const [cert, ca] = [vectorsOrSkip(t, 'nca', 'ceo_valid_sign_2004_gost.cer'), vectorsOrSkip(t, 'nca', 'nca_gost_test.crt')];
    if (!cert || !ca) return;
    const s = await trustflow('cert', 'verify', '--cert', cert, '--ca', ca, '--at', '2022-06-01');
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const r = JSON.parse(s.stdout);
    assert.deepEqual([r.valid, r.signatureValid, r.issuerMatches, r.validity, r.problems], [true, true, true, 'valid', []]);
    assert.match(r.signatureAlgorithm, /GOST 34\.310-2004/);
  });

  it('the same certificate today: signature valid, but expired (exit 1)', async (t) => {
    const [cert, ca] = [vectorsOrSkip(t, 'nca', 'ceo_valid_sign_2004_gost.cer'), vectorsOrSkip(t, 'nca', 'nca_gost_test.crt')];
    if (!cert || !ca) return;
    const s = await trustflow('cert', 'verify', '--cert', cert, '--ca', ca);
    assert.equal(s.code, 1);
    const r = JSON.parse(s.stdout);
    assert.deepEqual([r.valid, r.signatureValid, r.validity], [false, true, 'expired']);
  });

  it('against the wrong CA (the RSA test CA): signature and issuer both fail', async (t) => {
    const [cert, ca] = [vectorsOrSkip(t, 'nca', 'ceo_valid_sign_2004_gost.cer'), vectorsOrSkip(t, 'nca', 'nca_rsa_test.crt')];
    if (!cert || !ca) return;
    const s = await trustflow('cert', 'verify', '--cert', cert, '--ca', ca, '--at', '2022-06-01');
    assert.equal(s.code, 1);
    const r = JSON.parse(s.stdout);
    assert.deepEqual([r.signatureValid, r.issuerMatches], [false, false]);
  });

  it('an RSA certificate of the NCA RSA test CA verifies through the same command', async (t) => {
    const [cert, ca] = [vectorsOrSkip(t, 'nca', 'individual_valid_sign_2004_rsa.cer'), vectorsOrSkip(t, 'nca', 'nca_rsa_test.crt')];
    if (!cert || !ca) return;
    const s = await trustflow('cert', 'verify', '--cert', cert, '--ca', ca, '--at', '2022-06-01');
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const r = JSON.parse(s.stdout);
    assert.deepEqual([r.valid, r.signatureAlgorithm], [true, 'sha256WithRSAEncryption']);
  });

  it('wrong usage exits 2 with the reason', async (t) => {
    const cert = vectorsOrSkip(t, 'nca', 'ceo_valid_sign_2004_gost.cer');
    if (!cert) return;
    const noCa = await trustflow('cert', 'verify', '--cert', cert);
    assert.equal(noCa.code, 2);
    assert.match(noCa.stderr, /--ca is required\nusage: trustflow cert verify --cert FILE --ca FILE/);
    for (const at of ['yesterday', '2022-02-30', '1', '2022-06-01T12:00:00']) {
      const badDate = await trustflow('cert', 'verify', '--cert', cert, '--ca', cert, '--at', at);
      assert.equal(badDate.code, 2, `--at ${at}: ${badDate.stdout}`);
      assert.match(badDate.stderr, new RegExp(`--at ${at}: (expected YYYY-MM-DD|.* is not a day|.* has no time zone)`));
    }
    const notCert = join(tmp, 'not-a-cert.pem');
    await writeFile(notCert, 'hello');
    const bad = await trustflow('cert', 'verify', '--cert', notCert, '--ca', cert);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an X\.509 certificate/);
  });
});
