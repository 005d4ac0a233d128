// The IS MPT simulator rejects what the real stand would: detached or foreign signatures, the wrong
// content, reused challenges. Users run their own tests against it, so its checks must be real.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProviderHttpError } from '../../src/common/errors.js';
import { signCmsRsaSha256 } from '../../src/crypto/cms/sign.js';
import { openPkcs12, type SoftwareKey } from '../../src/crypto/keys/pkcs12.js';
import { IsmptClient } from '../../src/providers/ismpt/client.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { vectorsOrSkip } from '../helpers/paths.js';

describe('IS MPT simulator', () => {
  let dir: string;
  let sandbox: Sandbox;
  let client: IsmptClient;
  let key: SoftwareKey;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trustflow-sim-'));
    sandbox = await startSandbox({ dir });
    client = new IsmptClient({ baseUrl: sandbox.manifest.services.ismpt!.baseUrl });
    const k = sandbox.manifest.keys['mpt-legacy']!;
    key = openPkcs12(await readFile(k.p12), (await readFile(k.password.slice(5), 'utf8')).trim(), k.p12);
  });
  after(async () => {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const sign = (data: string, detached = false, k = key) =>
    signCmsRsaSha256({ content: Buffer.from(data), privateKey: k.privateKey, certificates: k.certificates, detached }).then((b) =>
      b.toString('base64'),
    );
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof ProviderHttpError ? `${e.status} ${e.providerCode}` : String(e)),
    );

  it('issues a token for a correct attached signature, once per challenge', async () => {
    const ch = await client.fetchChallenge();
    assert.match(ch.data, /^[A-Za-z0-9]{30}$/);
    const data = await sign(ch.data);
    assert.ok((await client.signIn({ uuid: ch.uuid, data })).token);
    assert.equal(await codeOf(client.signIn({ uuid: ch.uuid, data })), '403 auth-key-already-used');
  });

  it('rejects detached signatures, other content, unknown challenges and non-CMS data', async () => {
    let ch = await client.fetchChallenge();
    assert.equal(await codeOf(client.signIn({ uuid: ch.uuid, data: await sign(ch.data, true) })), '403 signature-detached');
    ch = await client.fetchChallenge();
    assert.equal(await codeOf(client.signIn({ uuid: ch.uuid, data: await sign(ch.data + 'x') })), '403 signature-content-mismatch');
    assert.equal(await codeOf(client.signIn({ uuid: 'no-such-uuid', data: await sign('x') })), '403 auth-key-not-found');
    ch = await client.fetchChallenge();
    assert.equal(await codeOf(client.signIn({ uuid: ch.uuid, data: 'bm90IGEgQ01T' })), '400 bad-signature-format');
  });

  it('rejects an expired challenge and an expired certificate using its own clock', async () => {
    const ch = await client.fetchChallenge();
    const data = await sign(ch.data);
    await sandboxAdmin(sandbox.manifest.services.ismpt!.baseUrl, 'clock', { advanceMs: 6 * 60_000 });
    assert.equal(await codeOf(client.signIn({ uuid: ch.uuid, data })), '403 auth-key-expired');
    await sandboxAdmin(sandbox.manifest.services.ismpt!.baseUrl, 'clock', { advanceMs: 400 * 86400_000 });
    const late = await client.fetchChallenge();
    assert.equal(await codeOf(client.signIn({ uuid: late.uuid, data: await sign(late.data) })), '403 certificate-expired');
    await sandboxAdmin(sandbox.manifest.services.ismpt!.baseUrl, 'reset');
  });

  it('rejects a valid signature by a certificate of another CA (NCA RK test key)', async (t) => {
    const p12 = vectorsOrSkip(t, 'nca', 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12');
    if (!p12) return;
    const nca = openPkcs12(await readFile(p12), 'Qwerty12', p12);
    const ch = await client.fetchChallenge();
    assert.equal(await codeOf(client.signIn({ uuid: ch.uuid, data: await sign(ch.data, false, nca) })), '403 certificate-untrusted');
  });

  it('counts calls, applies faults in order and resets', async () => {
    const base = sandbox.manifest.services.ismpt!.baseUrl;
    await sandboxAdmin(base, 'reset');
    await sandboxAdmin(base, 'faults', { endpoint: 'GET /auth/key', times: 1, action: 'status', status: 429, retryAfterSeconds: 2 });
    const err = await client.fetchChallenge().catch((e: unknown) => e);
    assert.ok(err instanceof ProviderHttpError);
    assert.deepEqual([err.status, err.retryable, err.retryAfterMs], [429, true, 2000]);
    await client.fetchChallenge();
    const s = await sandboxAdmin(base, 'state');
    assert.equal(s.calls['GET /auth/key'], 2);
    assert.deepEqual(s.pendingFaults, []);
    await assert.rejects(sandboxAdmin(base, 'faults', { endpoint: 'nonsense', action: 'status' }), /HTTP 400/);
  });
});
