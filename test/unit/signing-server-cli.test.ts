// `trustflow signing-server` refuses wrong flags and settings before anything listens or connects:
// exit 2 with the flag or variable named and what to do.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseListen, parseNcalayerUrl, signingServerPlan } from '../../src/client/cli/signing-server.js';
import { linkKeyFromSecret } from '../../src/common/signing-link.js';
import { repoRoot } from '../helpers/paths.js';
import { loopbackCertificate } from '../helpers/tls.js';

const run = promisify(execFile);
const SECRET = '4f1d0c6b8a2e47f3b9d5c1a0e8f76b2d9c3a5e7f1b0d2c4e';
const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRUSTFLOW_SIGNING_')));
const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  run(process.execPath, [join(repoRoot, 'bin', 'trustflow.js'), 'signing-server', ...args], {
    env: { ...clean, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const withKey = { TRUSTFLOW_SIGNING_LINK_KEY: SECRET };

let dir: string;
const file = (name: string) => join(dir, name);
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trustflow-signing-cli-'));
  for (const name of ['a', 'b']) await loopbackCertificate(dir, name, name);
  await writeFile(file('junk.pem'), 'not a certificate\n');
});
after(() => rm(dir, { recursive: true, force: true }));

async function usageError(env: NodeJS.ProcessEnv, args: string[], message: RegExp): Promise<void> {
  const r = await cli(env, ...args);
  assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /usage: trustflow signing-server/);
  assert.equal(r.stdout, '', 'nothing listened');
  assert.ok(!r.stderr.includes(SECRET), 'the secret is never echoed');
}

describe('trustflow signing-server: refused at start (exit 2)', () => {
  it('--tls-cert without --tls-key, and the other way round', async () => {
    await usageError(withKey, ['--tls-cert', file('a.pem')], /--tls-cert and --tls-key go together.*--tls-key is missing/);
    await usageError(withKey, ['--tls-key', file('a.key')], /--tls-cert and --tls-key go together.*--tls-cert is missing/);
  });

  it('a non-loopback address without TLS, unless --behind-proxy with an https page URL', async () => {
    await usageError(
      withKey,
      ['--listen', '0.0.0.0:8443'],
      /not a loopback address, and no TLS: give --tls-cert and --tls-key, or --behind-proxy/,
    );
    await usageError(
      withKey,
      ['--listen', '0.0.0.0:8443', '--behind-proxy'],
      /--behind-proxy needs TRUSTFLOW_SIGNING_PAGE_URL.*it is not set/,
    );
    await usageError(
      { ...withKey, TRUSTFLOW_SIGNING_PAGE_URL: 'http://127.0.0.1:8443' },
      ['--listen', '0.0.0.0:8443', '--behind-proxy'],
      /--behind-proxy needs TRUSTFLOW_SIGNING_PAGE_URL set to the https:\/\/ URL.*it is http:\/\/127\.0\.0\.1:8443/,
    );
  });

  it('no link key: names the variable and how to make one', async () => {
    await usageError({}, [], /TRUSTFLOW_SIGNING_LINK_KEY is not set.*openssl rand -hex 32/);
    await usageError(
      { TRUSTFLOW_SIGNING_PAGE_URL: 'https://sign.example.kz' },
      [],
      /TRUSTFLOW_SIGNING_LINK_KEY is empty.*openssl rand -hex 32/,
    );
    await usageError({ TRUSTFLOW_SIGNING_LINK_KEY: 'short' }, [], /TRUSTFLOW_SIGNING_LINK_KEY/);
  });

  it('a certificate and key that are not a pair, not PEM, or not there', async () => {
    await usageError(
      withKey,
      ['--tls-cert', file('a.pem'), '--tls-key', file('b.key')],
      /--tls-key .*b\.key is not the key of --tls-cert .*a\.pem/,
    );
    await usageError(withKey, ['--tls-cert', file('junk.pem'), '--tls-key', file('a.key')], /--tls-cert .*junk\.pem: not a certificate/);
    await usageError(withKey, ['--tls-cert', file('a.pem'), '--tls-key', file('junk.pem')], /--tls-key .*junk\.pem: not a private key/);
    await usageError(withKey, ['--tls-cert', file('none.pem'), '--tls-key', file('a.key')], /--tls-cert .*none\.pem: no such file/);
  });

  it('a malformed --listen or --ncalayer-url', async () => {
    await usageError(withKey, ['--listen', '8443'], /--listen 8443: expected HOST:PORT/);
    await usageError(withKey, ['--ncalayer-url', 'ws://192.0.2.1:13579'], /plain ws:\/\/ only to 127\.0\.0\.1/);
  });
});

describe('signing-server flags, in process', () => {
  it('parses HOST:PORT and [v6]:PORT', () => {
    assert.deepEqual(parseListen('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
    assert.deepEqual(parseListen('[::1]:9'), { host: '::1', port: 9 });
    assert.deepEqual(parseListen('sign.local:443'), { host: 'sign.local', port: 443 });
    for (const bad of ['8443', '127.0.0.1', '127.0.0.1:99999', '::1:8443', 'a b:1', '127.0.0.1:-1'])
      assert.throws(() => parseListen(bad), /expected HOST:PORT/, bad);
  });

  it('takes NCALayer as an origin: wss anywhere, ws to 127.0.0.1 only', () => {
    assert.equal(parseNcalayerUrl('wss://127.0.0.1:13579'), 'wss://127.0.0.1:13579');
    assert.equal(parseNcalayerUrl('wss://127.0.0.1:13579/'), 'wss://127.0.0.1:13579');
    assert.equal(parseNcalayerUrl('ws://127.0.0.1:13580'), 'ws://127.0.0.1:13580');
    for (const bad of [
      'ws://localhost:13579',
      'https://127.0.0.1:13579',
      'wss://u:p@127.0.0.1:13579',
      'wss://127.0.0.1:13579/x',
      'nonsense',
    ])
      assert.throws(() => parseNcalayerUrl(bad), /--ncalayer-url/, bad);
  });

  it('a plan: the listen address, TLS read and checked, the link key, the public origin', async () => {
    const plan = await signingServerPlan(
      { listen: '0.0.0.0:8443', 'tls-cert': file('a.pem'), 'tls-key': file('a.key') },
      { TRUSTFLOW_SIGNING_LINK_KEY: SECRET, TRUSTFLOW_SIGNING_PAGE_URL: 'https://sign.example.kz/persons/' },
    );
    assert.deepEqual(plan.listen, { host: '0.0.0.0', port: 8443 });
    assert.ok(plan.tls && plan.tls.cert.toString().includes('BEGIN CERTIFICATE'));
    assert.deepEqual(plan.linkKey, linkKeyFromSecret(SECRET));
    assert.equal(plan.publicOrigin, 'https://sign.example.kz');
    assert.equal(plan.ncalayerUrl, 'wss://127.0.0.1:13579');
    assert.deepEqual(plan.warnings, []);
    const proxied = await signingServerPlan(
      { listen: '0.0.0.0:8080', 'behind-proxy': true },
      { TRUSTFLOW_SIGNING_LINK_KEY: SECRET, TRUSTFLOW_SIGNING_PAGE_URL: 'https://sign.example.kz' },
    );
    assert.equal(proxied.behindProxy, true);
    assert.equal(proxied.tls, undefined);
  });
});
