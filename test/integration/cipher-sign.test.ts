// cipherSign end to end: a real Temporal dev server, the worker code, the Cipher simulator over
// loopback HTTP. After every test the simulator must hold no open ticket. cipherInspectKeyStore:
// cipher-inspect-key-store.test.ts.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CancelledFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { startFlow, executeFlow } from '../../src/client/flows.js';
import type { CipherSignInput } from '../../src/flows/cipher/cipher-sign.contract.js';
import { STATUS_QUERY_NAME, type FlowStatus } from '../../src/contracts/status.js';
import { FailureType } from '../../src/common/errors.js';
import { searchAttributes } from '../../src/common/search-attributes.js';
import { runOpenssl } from '../../src/crypto/openssl.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { failureOf, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { assertResultFitsContract } from '../helpers/result-schema.js';
import { findSecrets, storedHistory } from '../helpers/history.js';
import { cipherSign } from '../../src/flows/index.js';

const taskQueue = 'cipher-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let admin: string;
let n = 0;

const example = () => sandbox.manifest.examples.cipherSign;
const container = (name: string) => sandbox.manifest.cipher.containers[name]!;
const withKey = (name: string, extra: Partial<CipherSignInput> = {}): CipherSignInput => ({
  ...example(),
  keyStore: { file: container(name).file },
  password: container(name).password as `file:/${string}`,
  ...extra,
});
const wfId = (name: string) => `test-cipher-${name}-${++n}`;
const state = () => sandboxAdmin(admin, 'state');
const fileOf = (ref: string) => ref.slice('file:'.length);
const statusOf = (workflowId: string) => client.workflow.getHandle(workflowId).query<FlowStatus>(STATUS_QUERY_NAME);
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await new Promise((r) => setTimeout(r, 50))) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `openssl cms -verify` of a detached signature over the sandbox document, against the sandbox CA. */
async function opensslVerifies(signature: Buffer): Promise<boolean> {
  const sig = join(t.tmp, `sig-${++n}.p7s`);
  await writeFile(sig, signature);
  const r = await runOpenssl([
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    sig,
    '-content',
    fileOf(sandbox.manifest.cipher.document),
    '-CAfile',
    sandbox.manifest.cipher.ca,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]).then(
    () => true,
    () => false,
  );
  return r;
}

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client, sandbox } = t);
  admin = sandbox.simulators.cipher.adminBaseUrl;
});

after(() => t?.stop());

beforeEach(() => sandboxAdmin(admin, 'reset'));

afterEach(async () => {
  const s = await state();
  assert.equal(s.openTickets, 0, `open tickets left behind: ${JSON.stringify(s.openTicketIds)}`);
});

describe('cipherSign on a real Temporal server', () => {
  it('signs; OpenSSL verifies the signature; the ticket is deleted; no password, container or data in history', async () => {
    const workflowId = wfId('happy');
    const r = await executeFlow(client, cipherSign, { workflowId, input: example(), taskQueue });
    const signature = Buffer.from(r.signatureBase64!, 'base64');
    assert.equal(r.signatureBytes, signature.length);
    assert.ok(await opensslVerifies(signature), 'openssl cms -verify rejected the signature');
    assert.equal(r.signer.owner, 'Коваль Кирило Кирилович');
    assert.ok(r.signer.daysLeft! >= 360);
    assert.deepEqual(r.warnings, []);
    assertResultFitsContract('cipherSign', r, ['signatureBytes', 'signer', 'warnings']);
    const s = await state();
    assert.deepEqual([s.ticketsCreated, s.ticketsDeleted, s.signaturesCreated], [1, 1, 1]);

    const d = await client.workflow.getHandle(workflowId).describe();
    assert.equal(d.typedSearchAttributes.get(searchAttributes.keyExpiresInDays), r.signer.daysLeft);
    const password = (await readFile(fileOf(container('cipher-key').password), 'utf8')).trim();
    const containerBytes = await readFile(fileOf(container('cipher-key').file));
    const data = await readFile(fileOf(sandbox.manifest.cipher.document));
    const hits = findSecrets(await storedHistory(client, workflowId), [
      { label: 'password', value: password },
      { label: 'container bytes (a slice)', value: containerBytes.subarray(100, 164) },
      { label: 'data', value: data },
      { label: 'owner name', value: 'Коваль' },
    ]);
    assert.deepEqual(hits, []);
  });

  it('writes the signature to the named file', async () => {
    const out = join(t.tmp, 'out.p7s');
    const r = await executeFlow(client, cipherSign, {
      workflowId: wfId('file'),
      input: { ...example(), output: { file: out } },
      taskQueue,
    });
    assert.equal(r.outputFile, out);
    assert.equal(r.signatureBase64, undefined);
    assertResultFitsContract('cipherSign', r, ['signatureBytes', 'signer', 'warnings']);
    assert.ok(await opensslVerifies(await readFile(out)));
  });

  it('signs with a key expiring in 5 days, keeping the warning in the result, the status query and KeyExpiresInDays', async () => {
    const workflowId = wfId('expiring');
    const r = await executeFlow(client, cipherSign, { workflowId, input: withKey('cipher-key-expiring'), taskQueue });
    assert.ok(await opensslVerifies(Buffer.from(r.signatureBase64!, 'base64')));
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /До закінчення дії ключів залишилося менше 5 днів/);
    const status = await statusOf(workflowId);
    assert.deepEqual(status.warnings, r.warnings);
    const d = await client.workflow.getHandle(workflowId).describe();
    const days = d.typedSearchAttributes.get(searchAttributes.keyExpiresInDays);
    assert.ok(days === 4 || days === 5, `KeyExpiresInDays ${days}`);
    const found = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND KeyExpiresInDays < 14` }))
      found.push(w.workflowId);
    assert.deepEqual(found, [workflowId], 'operators can find it with KeyExpiresInDays < 14');
  });

  it("fails on a wrong password with the service's message, without retrying", async () => {
    const wrong = join(t.tmp, 'wrong-password');
    await writeFile(wrong, 'not-the-password\n');
    const f = failureOf(
      await executeFlow(client, cipherSign, {
        workflowId: wfId('wrong-pw'),
        input: { ...example(), password: `file:${wrong}` },
        taskQueue,
      }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.ProviderRejected);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /HTTP 500 .*Невірний пароль до ключового контейнера/);
    assert.ok(!f.message.includes('not-the-password'));
    const s = await state();
    assert.equal(s.verifierCalls, 1);
    assert.equal(s.signaturesStarted, 0);
  });

  it("fails on an expired key with the service's reason (canBeUsed=false)", async () => {
    const f = failureOf(
      await executeFlow(client, cipherSign, { workflowId: wfId('expired'), input: withKey('cipher-key-expired'), taskQueue }).catch(
        (e: unknown) => e,
      ),
    );
    assert.equal(f.type, FailureType.KeyNotUsable);
    assert.match(f.message, /the signing key cannot be used: Термін дії сертифіката ключа закінчився/);
    assert.equal((await state()).signaturesStarted, 0);
  });

  it('succeeds after two 503s (service not started) when creating the ticket', async () => {
    await sandboxAdmin(admin, 'faults', {
      endpoint: 'POST /ticket',
      action: 'status',
      status: 503,
      times: 2,
      body: { message: 'Сервіс виконання криптографічних операцій не запущено.' },
    });
    const r = await executeFlow(client, cipherSign, { workflowId: wfId('503'), input: example(), taskQueue });
    assert.ok(await opensslVerifies(Buffer.from(r.signatureBase64!, 'base64')));
    const s = await state();
    assert.equal(s.calls['POST /ticket'], 3);
    assert.equal(s.ticketsCreated, 1);
  });

  it('says in its status that the service is not running while it waits, and goes on when it is', async () => {
    await sandboxAdmin(admin, 'config', { serviceUp: false });
    const workflowId = wfId('service-down');
    const handle = await startFlow(client, cipherSign, { workflowId, input: example(), taskQueue });
    const note = await until('the status note', async () => (await statusOf(workflowId)).note);
    assert.match(note, /Cipher service is not running .*HTTP 503/);
    await sandboxAdmin(admin, 'config', { serviceUp: true });
    const r = await handle.result();
    assert.ok(await opensslVerifies(Buffer.from(r.signatureBase64!, 'base64')));
    assert.equal((await statusOf(workflowId)).note, undefined);
  });

  it('starts again with a new ticket when the service says the session is missing', async () => {
    await sandboxAdmin(admin, 'faults', {
      endpoint: 'PUT /ticket/{uuid}/option',
      action: 'status',
      status: 400,
      body: { message: 'Сесія відсутня.' },
    });
    const r = await executeFlow(client, cipherSign, { workflowId: wfId('session-missing'), input: example(), taskQueue });
    assert.ok(await opensslVerifies(Buffer.from(r.signatureBase64!, 'base64')));
    const s = await state();
    assert.equal(s.ticketsCreated, 2);
    assert.equal(s.ticketsDeleted, 2, 'the first ticket was deleted too');
  });

  it('deletes the ticket when the workflow is cancelled while waiting for the signature', async () => {
    await sandboxAdmin(admin, 'config', { signingMs: 60_000 });
    const workflowId = wfId('cancel');
    const handle = await startFlow(client, cipherSign, { workflowId, input: example(), taskQueue });
    await until('awaiting_signature', async () => ((await statusOf(workflowId)).step === 'awaiting_signature' ? true : undefined));
    assert.equal((await state()).openTickets, 1);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
    const s = await state();
    assert.equal(s.ticketsDeleted, 1);
    assert.equal(s.signaturesCreated, 0);
  });

  it('fails the flow, still deleting the ticket, when the signature is not ready within maxSigningSeconds', async () => {
    await sandboxAdmin(admin, 'config', { signingMs: 60_000 });
    const f = failureOf(
      await executeFlow(client, cipherSign, { workflowId: wfId('slow'), input: { ...example(), maxSigningSeconds: 2 }, taskQueue }).catch(
        (e: unknown) => e,
      ),
    );
    assert.equal(f.type, FailureType.OperationTimedOut);
    assert.match(f.message, /within 2 s/);
  });
});
