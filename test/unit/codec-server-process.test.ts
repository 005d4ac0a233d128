// `npm run codec-server` as a process: its settings are checked at start (TLS files both or neither,
// a namespace list that names something), and it serves HTTPS with the given certificate.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newKeyEntry } from '../../src/codec/keyring.js';
import { repoRoot } from '../helpers/paths.js';
import { loopbackCertificate } from '../helpers/tls.js';

const main = join(repoRoot, 'dist', 'src', 'codec', 'main.js');
let tmp: string;
let cert: string;
let key: string;

/** Runs the server until it exits by itself (a refused start) or 15 s pass. */
function runCodecServer(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', TRUSTFLOW_CODEC_KEYS: newKeyEntry('k1'), TRUSTFLOW_CODEC_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const onData = (d: Buffer) => (out += d.toString());
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('codec server process', () => {
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'trustflow-codec-tls-'));
    ({ certFile: cert, keyFile: key } = await loopbackCertificate(tmp));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('refuses to start with one TLS file of the two, a namespace list of commas, or OIDC without an audience off loopback, saying what to set', async () => {
    const half = await runCodecServer({ TRUSTFLOW_CODEC_TLS_CERT_FILE: cert });
    assert.equal(half.code, 1);
    assert.match(half.out, /set both TRUSTFLOW_CODEC_TLS_CERT_FILE and TRUSTFLOW_CODEC_TLS_KEY_FILE/);
    const missing = await runCodecServer({ TRUSTFLOW_CODEC_TLS_CERT_FILE: cert, TRUSTFLOW_CODEC_TLS_KEY_FILE: join(tmp, 'nope.pem') });
    assert.equal(missing.code, 1);
    assert.match(missing.out, /TRUSTFLOW_CODEC_TLS_KEY_FILE=.*nope\.pem: cannot read \(ENOENT\)/);
    const commas = await runCodecServer({ TRUSTFLOW_CODEC_NAMESPACES: ' , ' });
    assert.equal(commas.code, 1);
    assert.match(commas.out, /names no namespace/);
    // Off loopback, OIDC without an audience would take any token the issuer gives any of its clients.
    const anyAudience = await runCodecServer({
      TRUSTFLOW_CODEC_HOST: '0.0.0.0',
      TRUSTFLOW_CODEC_OIDC_ISSUER: 'https://idp.example.test/realms/ops',
    });
    assert.equal(anyAudience.code, 1);
    assert.match(anyAudience.out, /without TRUSTFLOW_CODEC_OIDC_AUDIENCE: every client of that issuer could read every history/);
  });

  it('serves HTTPS with the given certificate, and an empty namespace list means any', async () => {
    const child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH ?? '',
        TRUSTFLOW_CODEC_KEYS: newKeyEntry('k1'),
        TRUSTFLOW_CODEC_PORT: '0',
        TRUSTFLOW_CODEC_NAMESPACES: '',
        TRUSTFLOW_CODEC_TLS_CERT_FILE: cert,
        TRUSTFLOW_CODEC_TLS_KEY_FILE: key,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 15_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${url}/default/decode`,
          { method: 'POST', ca: readFileSync(cert), headers: { 'content-type': 'application/json' } },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end('{"payloads":[]}');
      });
      assert.equal(status, 200);
      assert.deepEqual(JSON.parse(body), { payloads: [] });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
