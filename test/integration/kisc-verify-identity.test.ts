// kiscVerifyIdentity end to end: a real Temporal dev server, the worker code, the KISC simulator
// over HTTPS with mutual TLS on loopback, its billing ledger as the judge of "billed exactly once".
// kiscReconcile: kisc-reconcile.test.ts.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startFlow, executeFlow } from '../../src/client/flows.js';
import type { KiscVerifyIdentityInput } from '../../src/flows/kisc/kisc-verify-identity.contract.js';
import { FailureType } from '../../src/common/errors.js';
import { STATUS_QUERY_NAME, type FlowStatus } from '../../src/contracts/status.js';
import { searchAttributes } from '../../src/common/search-attributes.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { failureOf, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { assertResultFitsContract } from '../helpers/result-schema.js';
import { findSecrets, storedHistory, visibleMetadata } from '../helpers/history.js';
import { plannedWorksNews } from '../helpers/kisc-news.js';
import { kiscVerifyIdentity } from '../../src/flows/index.js';

const taskQueue = 'kisc-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let admin: string;
let n = 0;

const example = () => sandbox.manifest.examples.kiscVerifyIdentity;
const input = (extra: Partial<KiscVerifyIdentityInput> = {}): KiscVerifyIdentityInput => ({ ...example(), ...extra });
const tlsOf = (name: string) => ({
  ...example().tls,
  p12: sandbox.manifest.kisc.tlsKeys[name]!.p12,
  password: sandbox.manifest.kisc.tlsKeys[name]!.password,
});
const wfId = (name: string) => `test-kisc-${name}-${++n}`;
const state = () => sandboxAdmin(admin, 'state');
const fileOf = (ref: string) => ref.slice('file:'.length);
/** The fields every kiscVerifyIdentity result has (its JSON Schema's `required`). */
const REQUIRED = ['outcome', 'similarity', 'minSimilarity', 'vendor', 'idempotencyKey', 'verifiedAt'] as const;

before(async () => {
  t = await startFlowTestEnv(taskQueue);
  ({ client, sandbox } = t);
  admin = sandbox.simulators.kisc.adminBaseUrl;
});

after(() => t?.stop());

beforeEach(() => sandboxAdmin(admin, 'reset'));

describe('kiscVerifyIdentity on a real Temporal server', () => {
  it('verifies once, fetches only the requested personal data, and keeps photo, passwords, consent, IIN and data out of history', async () => {
    const workflowId = wfId('happy');
    const r = await executeFlow(client, kiscVerifyIdentity, { workflowId, input: input(), taskQueue });
    assert.equal(r.outcome, 'verified');
    assert.ok(r.similarity >= 0.95, `similarity ${r.similarity}`);
    assert.equal(r.vendor, 'VisionLabs');
    assert.deepEqual(r.personalData, { last_name: 'САРСЕНБАЕВ', first_name: 'ЕРЛАН', middle_name: 'МАРАТҰЛЫ', birth_date: '1989-01-01' });
    assert.equal(r.missingFields, undefined);
    assertResultFitsContract('kiscVerifyIdentity', r, REQUIRED);

    const s = await state();
    assert.deepEqual(s.billedPerKey, { [r.idempotencyKey]: 1 });
    assert.deepEqual(s.dataCalls, { [r.idempotencyKey]: 1 });
    assert.equal(s.calls['POST /verify'], 1);
    assert.equal(s.calls['GET /verify'], undefined, 'no lookup without an ambiguous failure');

    // The key was recorded for reconciliation; the IIN is nowhere an operator looks.
    const d = await client.workflow.getHandle(workflowId).describe();
    assert.equal(d.typedSearchAttributes.get(searchAttributes.kiscIdempotencyKey), r.idempotencyKey);
    assert.ok(d.typedSearchAttributes.get(searchAttributes.kiscBilledAt) instanceof Date);
    const visible = await visibleMetadata(client, workflowId);
    assert.ok(!visible.includes(example().iin), 'IIN in workflow id, search attributes or memo');

    const read = async (ref: string) => (await readFile(fileOf(ref), 'utf8')).trim();
    const photo = await readFile(fileOf(example().photo));
    const hits = findSecrets(await storedHistory(client, workflowId), [
      { label: 'photo bytes', value: photo },
      { label: 'photo bytes (a slice from the middle)', value: photo.subarray(100, 164) },
      { label: 'TLS p12 password', value: await read(example().tls.password) },
      { label: 'signing p12 password', value: await read(example().signingKey!.password) },
      { label: 'consent text', value: example().consentText! },
      { label: 'IIN', value: example().iin },
      { label: 'last name', value: 'САРСЕНБАЕВ' },
      { label: 'birth date', value: '1989-01-01' },
      { label: 'document number (not requested)', value: '049871234' },
    ]);
    assert.deepEqual(hits, []);
  });

  it('asks for the mobile phone with mcdb=1 over the AES-encrypted TLS key', async () => {
    const r = await executeFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('mcdb'),
      input: input({ tls: tlsOf('kisc-tls-aes'), mcdb: true, personalDataFields: ['last_name', 'mobilephone', 'no_such_field'] }),
      taskQueue,
    });
    assert.deepEqual(r.personalData, { last_name: 'САРСЕНБАЕВ', mobilephone: '+77011234567' });
    assert.deepEqual(r.missingFields, ['no_such_field']);
    assertResultFitsContract('kiscVerifyIdentity', r, REQUIRED);
  });

  it('ends as not_matched below minSimilarity, billed once, without asking for personal data', async () => {
    const workflowId = wfId('not-matched');
    const r = await executeFlow(client, kiscVerifyIdentity, {
      workflowId,
      input: input({ photo: sandbox.manifest.kisc.persons[0]!.otherPhoto }),
      taskQueue,
    });
    assert.equal(r.outcome, 'not_matched');
    assert.ok(r.similarity < r.minSimilarity);
    assert.equal(r.personalData, undefined);
    assertResultFitsContract('kiscVerifyIdentity', r, REQUIRED);
    const s = await state();
    assert.deepEqual(s.billedPerKey, { [r.idempotencyKey]: 1 });
    assert.equal(s.calls['POST /data'], undefined);
    const d = await client.workflow.getHandle(workflowId).describe();
    assert.equal(d.typedSearchAttributes.get(searchAttributes.outcome), 'not_matched');
    assert.equal(d.status.name, 'COMPLETED');
  });

  it('rejects an IIN with a wrong check digit before any call to KISC (client helper and workflow)', async () => {
    const bad = example().iin.slice(0, 11) + String((Number(example().iin[11]) + 1) % 10);
    // The typed helper refuses to start the flow at all...
    await assert.rejects(
      executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('bad-iin'), input: input({ iin: bad }), taskQueue }),
      (e: Error) => {
        assert.equal(e.name, 'InvalidInputError');
        assert.match(e.message, /iin: is not a valid IIN: its check digit/);
        return true;
      },
    );
    // ...and a start that bypasses it fails in the workflow's first step.
    const handle = await client.workflow.start('kiscVerifyIdentity', {
      workflowId: wfId('bad-iin-raw'),
      taskQueue,
      args: [input({ iin: bad })],
    });
    const f = failureOf(await handle.result().catch((e: unknown) => e));
    assert.equal(f.type, FailureType.InvalidInput);
    assert.match(f.message, /iin: is not a valid IIN: its check digit/);
    assert.ok(!f.message.includes(bad), 'the IIN must not be echoed');
    const s = await state();
    assert.deepEqual(s.calls, {});
    assert.deepEqual(s.billing, []);
  });

  it('rejects an unknown vendor and a photo that is not PNG/JPEG before anything is billed', async () => {
    const vendor = failureOf(
      await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('vendor'), input: input({ vendor: 42 }), taskQueue }).catch(
        (e: unknown) => e,
      ),
    );
    assert.equal(vendor.type, FailureType.InvalidInput);
    assert.match(vendor.message, /vendor 42 is not offered by KISC; available: 1 \(VisionLabs\)/);

    const gif = join(t.tmp, 'photo.gif');
    await writeFile(gif, Buffer.from('GIF89a' + 'x'.repeat(100)));
    const photo = failureOf(
      await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('gif'), input: input({ photo: `file:${gif}` }), taskQueue }).catch(
        (e: unknown) => e,
      ),
    );
    assert.equal(photo.type, FailureType.InvalidInput);
    assert.match(photo.message, /neither a PNG nor a JPEG/);

    const big = failureOf(
      await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('big'), input: input({ maxPhotoBytes: 100 }), taskQueue }).catch(
        (e: unknown) => e,
      ),
    );
    assert.match(big.message, /bytes; the limit is 100/);

    const s = await state();
    assert.equal(s.calls['POST /verify'], undefined);
    assert.deepEqual(s.billing, []);
  });

  it('checks the personal-data signing key before the billed call: unset variable, missing file, wrong password, expired certificate', async () => {
    const key = example().signingKey!;
    const wrongPassword = join(t.tmp, 'wrong-password');
    await writeFile(wrongPassword, 'definitely-not-it\n');
    const expired = sandbox.manifest.kisc.tlsKeys['kisc-tls-expired']!;
    const cases: [string, object, string, RegExp][] = [
      [
        'unset-env',
        { ...key, password: 'env:TRUSTFLOW_TEST_UNSET_SIGNING' },
        FailureType.SecretUnavailable,
        /env:TRUSTFLOW_TEST_UNSET_SIGNING.*not set/,
      ],
      [
        'missing-file',
        { ...key, path: join(t.tmp, 'no-such-signing.p12') },
        FailureType.KeyStoreUnreadable,
        /no-such-signing\.p12: cannot read the PKCS#12 file \(it does not exist/,
      ],
      ['wrong-password', { ...key, password: `file:${wrongPassword}` }, FailureType.KeyStoreUnreadable, /wrong password/],
      [
        'expired',
        { ...key, path: expired.p12, password: expired.password },
        FailureType.CertificateNotValid,
        /signingKey .* expired \d+ day\(s\) ago: renew/,
      ],
    ];
    for (const [name, signingKey, type, message] of cases) {
      const f = failureOf(
        await executeFlow(client, kiscVerifyIdentity, {
          workflowId: wfId(`signing-${name}`),
          input: input({ signingKey: signingKey as never }),
          taskQueue,
        }).catch((e: unknown) => e),
      );
      assert.equal(f.type, type, name);
      assert.match(f.message, message, name);
      assert.ok(!f.message.includes('definitely-not-it'), 'the password is not echoed');
    }
    // Not needed, not checked: without personal data the signing key plays no part.
    await executeFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('signing-unused'),
      input: input({ fetchPersonalData: false, signingKey: cases[0]![1] as never }),
      taskQueue,
    });
    const s = await state();
    assert.equal(s.calls['POST /verify'], 1, 'only the flow without personal data reached the billed call');
    assert.equal(s.billing.length, 1);
  });

  it('a completed verification is final under its workflow id: same input → its recorded result, no new charge; other input → refused', async () => {
    const workflowId = wfId('repeat');
    const first = await executeFlow(client, kiscVerifyIdentity, { workflowId, input: input(), taskQueue });
    let told = '';
    const again = await executeFlow(client, kiscVerifyIdentity, {
      workflowId,
      input: input(),
      taskQueue,
      onExistingRun: (r) => (told = r.status),
    });
    assert.deepEqual(again, first);
    assert.equal(told, 'COMPLETED', 'the caller is told it got the recorded result');
    await assert.rejects(
      executeFlow(client, kiscVerifyIdentity, { workflowId, input: input({ minSimilarity: 0.5 }), taskQueue }),
      (e: Error & { type?: string }) => {
        assert.equal(e.type, FailureType.WorkflowIdTaken);
        assert.match(e.message, /already completed a kiscVerifyIdentity with another input.*use a new workflow id/);
        return true;
      },
    );
    // A start that bypasses the helpers (the temporal CLI's default: a new run) is refused by the flow itself before billing.
    const raw = await client.workflow.start('kiscVerifyIdentity', { workflowId, taskQueue, args: [input()] });
    const f = failureOf(await raw.result().catch((e: unknown) => e));
    assert.equal(f.type, FailureType.AlreadyBilled);
    assert.match(
      f.message,
      new RegExp(
        `workflow id ${workflowId} already made a KISC verification \\(run ${first.idempotencyKey ? '[0-9a-f-]+' : ''}, COMPLETED, idempotency key ${first.idempotencyKey}\\)`,
      ),
    );
    const s = await state();
    assert.deepEqual(s.billedPerKey, { [first.idempotencyKey]: 1 });
    assert.equal(s.calls['POST /verify'], 1);
  });

  it('a running verification is joined only with the same input; another input under its id is refused', async () => {
    await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'delay', delayMs: 1500 });
    const workflowId = wfId('running');
    const first = await startFlow(client, kiscVerifyIdentity, { workflowId, input: input(), taskQueue });
    await assert.rejects(
      startFlow(client, kiscVerifyIdentity, { workflowId, input: input({ minSimilarity: 0.5 }), taskQueue }),
      (e: Error & { type?: string }) => {
        assert.equal(e.type, FailureType.WorkflowIdTaken);
        assert.match(e.message, /is already running a kiscVerifyIdentity with another input/);
        return true;
      },
    );
    let told = '';
    const joined = await startFlow(client, kiscVerifyIdentity, {
      workflowId,
      input: input(),
      taskQueue,
      onExistingRun: (r) => (told = r.status),
    });
    assert.equal(told, 'RUNNING');
    assert.equal(joined.firstExecutionRunId, first.firstExecutionRunId);
    assert.deepEqual(await joined.result(), await first.result());
    assert.equal((await state()).calls['POST /verify'], 1);
  });

  it('a failed run that never reached the billed step may be started again under its id', async () => {
    const workflowId = wfId('retry-after-failure');
    const f = failureOf(
      await executeFlow(client, kiscVerifyIdentity, { workflowId, input: input({ vendor: 42 }), taskQueue }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.InvalidInput);
    const r = await executeFlow(client, kiscVerifyIdentity, { workflowId, input: input(), taskQueue });
    assert.equal(r.outcome, 'verified');
    assert.equal((await state()).billing.length, 1);
  });

  it('completes with exactly one billed row when the connection drops after KISC billed the verification', async () => {
    await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'drop' });
    const r = await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('drop'), input: input(), taskQueue });
    assert.equal(r.outcome, 'verified');
    const s = await state();
    assert.deepEqual(s.billedPerKey, { [r.idempotencyKey]: 1 });
    assert.equal(s.calls['POST /verify'], 1, 'never re-posted: the result came from GET /verify');
    assert.equal(s.calls['GET /verify'], 1);
  });

  it('succeeds after two 503s, re-posting with the same key, one billed row', async () => {
    await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'status', status: 503, times: 2 });
    const r = await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('503'), input: input(), taskQueue });
    const s = await state();
    assert.deepEqual(s.billedPerKey, { [r.idempotencyKey]: 1 });
    assert.equal(s.calls['POST /verify'], 3);
    assert.equal(s.calls['GET /verify'], 2, 'each retry asked for the stored result first');
  });

  it('fails without retries on a client certificate from another CA, pointing at the 14-day keys', async () => {
    const mpt = sandbox.manifest.keys['mpt-legacy']!;
    const f = failureOf(
      await executeFlow(client, kiscVerifyIdentity, {
        workflowId: wfId('foreign'),
        input: input({ tls: { ...example().tls, p12: mpt.p12, password: mpt.password } }),
        taskQueue,
      }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.TlsRejected);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /the server refused our client certificate/);
    assert.match(f.message, /valid for 14 days/);
    assert.deepEqual((await state()).calls, {}, 'the handshake failed: no request reached KISC');
  });

  it('fails on an expired client certificate before connecting, saying when it expired', async () => {
    const f = failureOf(
      await executeFlow(client, kiscVerifyIdentity, {
        workflowId: wfId('expired'),
        input: input({ tls: tlsOf('kisc-tls-expired') }),
        taskQueue,
      }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.TlsRejected);
    assert.match(f.message, /TLS client certificate expired on \d{4}-\d{2}-\d{2}T.*valid for 14 days/);
    assert.deepEqual((await state()).calls, {});
  });

  it('fails on a CA bundle that does not verify the server (no silent trust)', async () => {
    const f = failureOf(
      await executeFlow(client, kiscVerifyIdentity, {
        workflowId: wfId('wrong-ca'),
        input: input({ tls: { ...example().tls, ca: sandbox.manifest.ca.certificate } }),
        taskQueue,
      }).catch((e: unknown) => e),
    );
    assert.equal(f.type, FailureType.TlsRejected);
    assert.match(f.message, /server's certificate could not be verified against the configured CA bundle/);
  });

  it('a signature KISC does not accept fails /data without retrying, after the one billed verification', async () => {
    await sandboxAdmin(admin, 'config', { jwsPayloadMode: 'base64url' });
    const handle = await startFlow(client, kiscVerifyIdentity, { workflowId: wfId('jws'), input: input(), taskQueue });
    const f = failureOf(await handle.result().catch((e: unknown) => e));
    assert.equal(f.type, FailureType.ProviderRejected);
    assert.match(f.message, /POST \/data answered HTTP 401 \(x-jws-signature does not verify/);
    const s = await state();
    assert.equal(s.calls['POST /data'], 1);
    assert.equal(s.rejectedSignatures, 1);
    assert.equal(s.billing.length, 1);
  });
});

// KISC's news announce planned works in Almaty wall time (test/helpers/kisc-news.ts); the tests
// write a window around "now" so that the durable timer takes seconds.
const announceWorks = (from: Date, to: Date) => sandboxAdmin(admin, 'config', { news: plannedWorksNews(from, to) });

describe('kiscVerifyIdentity and announced planned works', () => {
  it('waits for the announced end with a durable timer, then bills once', async () => {
    const end = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000); // the text has whole seconds
    await announceWorks(new Date(Date.now() - 60_000), end);
    const workflowId = wfId('maintenance-wait');
    const handle = await startFlow(client, kiscVerifyIdentity, { workflowId, input: input(), taskQueue });
    let note: string | undefined;
    for (let i = 0; i < 40 && !note; i++) {
      note = (await handle.query<FlowStatus>(STATUS_QUERY_NAME)).note;
      if (!note) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(note ?? '', /waiting for KISC's announced planned works to end at /);
    assert.equal((await state()).calls['POST /verify'], undefined, 'nothing is posted during the works');
    const r = await handle.result();
    assert.equal(r.outcome, 'verified');
    assert.ok(Date.parse(r.verifiedAt) >= end.getTime(), `verified at ${r.verifiedAt}, the works ended at ${end.toISOString()}`);
    assert.deepEqual((await state()).billedPerKey, { [r.idempotencyKey]: 1 });
    const events = (await handle.fetchHistory()).events ?? [];
    assert.equal(events.filter((e) => e.timerStartedEventAttributes).length, 1, 'one durable timer');
    assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'kiscMaintenanceWindows').length, 1);
  });

  it('fails at once with ProviderMaintenance when the input says so, nothing billed', async () => {
    await announceWorks(new Date(Date.now() - 60_000), new Date(Date.now() + 3_600_000));
    const err = await executeFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('maintenance-fail'),
      input: input({ onMaintenance: 'fail' }),
      taskQueue,
    }).catch((e: unknown) => e);
    const failure = failureOf(err);
    assert.equal(failure.type, FailureType.ProviderMaintenance);
    assert.match(failure.message, /planned works from .* to .*nothing was billed/);
    const s = await state();
    assert.deepEqual(s.billedPerKey, {});
    assert.equal(s.calls['POST /verify'], undefined);
  });

  // The bounded wait: seconds-scale durations in the input, so each case takes seconds. A flow that
  // still waits after `limitMs` fails the test (and is terminated) instead of hanging it.
  const settled = async <T>(handle: WorkflowHandle, result: Promise<T>, limitMs: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: the flow was still waiting after ${limitMs} ms`)), limitMs);
    });
    try {
      return await Promise.race([result, late]);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(what)) await handle.terminate('test gave up waiting').catch(() => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  const noteOf = async (handle: WorkflowHandle): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const note = (await handle.query<FlowStatus>(STATUS_QUERY_NAME)).note;
      if (note) return note;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('the flow never said what it waits for');
  };
  const maintenanceReads = async (handle: WorkflowHandle) =>
    ((await handle.fetchHistory()).events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'kiscMaintenanceWindows',
    ).length;

  it('a notice whose end is years ahead (a mistyped year) fails at once with ProviderMaintenance, nothing billed', async () => {
    const end = new Date(Date.now() + 10 * 365 * 86_400_000);
    await announceWorks(new Date(Date.now() - 60_000), end);
    const handle = await startFlow(client, kiscVerifyIdentity, { workflowId: wfId('maintenance-mistyped'), input: input(), taskQueue });
    const err = await settled(
      handle,
      handle.result().then(
        () => assert.fail('the flow went ahead inside announced works'),
        (e: unknown) => e,
      ),
      20_000,
      'works announced for ten years',
    );
    const failure = failureOf(err);
    assert.equal(failure.type, FailureType.ProviderMaintenance);
    assert.match(
      failure.message,
      new RegExp(`to ${end.toISOString().slice(0, 16)}.*beyond this flow's maintenance wait bound \\(maxMaintenanceWait: '1d'`),
    );
    assert.match(failure.message, /may be mistyped/);
    assert.match(failure.message, /raise maxMaintenanceWait in the input/);
    assert.match(failure.message, /nothing was billed/);
    const s = await state();
    assert.deepEqual(s.billedPerKey, {});
    assert.equal(s.calls['POST /verify'], undefined);
    assert.equal(((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length, 0, 'no wait at all');
  });

  it('a notice cancelled while the flow waits is seen at the next read of the news: the flow goes ahead long before the announced end', async () => {
    const end = new Date(Date.now() + 3_600_000);
    await announceWorks(new Date(Date.now() - 60_000), end);
    const handle = await startFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('maintenance-cancelled'),
      input: input({ maxMaintenanceWait: '2h', maintenanceRecheckEvery: '1s' }),
      taskQueue,
    });
    const note = await noteOf(handle);
    assert.match(note, /waiting for KISC's announced planned works to end at .*\(плановые работы \(тест\)\)/);
    assert.match(note, /reading KISC's news again every 1s; waiting until .* at most \(maxMaintenanceWait: '2h'\)/);
    await new Promise((r) => setTimeout(r, 1500)); // at least one read of the unchanged news
    assert.equal((await state()).calls['POST /verify'], undefined, 'nothing is posted during the works');
    await sandboxAdmin(admin, 'config', { news: [] }); // KISC took the notice back
    const r = await settled(handle, handle.result(), 20_000, 'cancelled works');
    assert.equal(r.outcome, 'verified');
    assert.ok(
      Date.parse(r.verifiedAt) < end.getTime() - 3_500_000,
      `verified at ${r.verifiedAt}, the works were announced to end at ${end.toISOString()}`,
    );
    assert.deepEqual((await state()).billedPerKey, { [r.idempotencyKey]: 1 });
    assert.ok((await maintenanceReads(handle)) >= 2, 'the news were read again while waiting');
  });

  it('a notice moved while the flow waits is followed: an earlier end is waited for, an end beyond the bound fails', async () => {
    await announceWorks(new Date(Date.now() - 60_000), new Date(Date.now() + 3_600_000));
    const moved = await startFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('maintenance-moved'),
      input: input({ maxMaintenanceWait: '2h', maintenanceRecheckEvery: '1s' }),
      taskQueue,
    });
    await noteOf(moved);
    const newEnd = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
    await announceWorks(new Date(Date.now() - 60_000), newEnd);
    const r = await settled(moved, moved.result(), 20_000, 'works moved to end earlier');
    assert.ok(
      Date.parse(r.verifiedAt) >= newEnd.getTime(),
      `verified at ${r.verifiedAt}, the works moved to end at ${newEnd.toISOString()}`,
    );
    assert.deepEqual((await state()).billedPerKey, { [r.idempotencyKey]: 1 });

    await sandboxAdmin(admin, 'reset');
    await announceWorks(new Date(Date.now() - 60_000), new Date(Date.now() + 600_000));
    const extended = await startFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('maintenance-extended'),
      input: input({ maxMaintenanceWait: '30m', maintenanceRecheckEvery: '1s' }),
      taskQueue,
    });
    await noteOf(extended);
    const farEnd = new Date(Date.now() + 3 * 3_600_000);
    await announceWorks(new Date(Date.now() - 60_000), farEnd);
    const err = await settled(
      extended,
      extended.result().then(
        () => assert.fail('the flow went ahead inside announced works'),
        (e: unknown) => e,
      ),
      20_000,
      'works extended past the bound',
    );
    const failure = failureOf(err);
    assert.equal(failure.type, FailureType.ProviderMaintenance);
    assert.match(failure.message, /beyond this flow's maintenance wait bound \(maxMaintenanceWait: '30m'/);
    assert.deepEqual((await state()).billedPerKey, {});
  });

  it('GET /news failing while the flow waits does not end the wait: the works announced stand until their end', async () => {
    const end = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000);
    await announceWorks(new Date(Date.now() - 60_000), end);
    const handle = await startFlow(client, kiscVerifyIdentity, {
      workflowId: wfId('maintenance-news-down'),
      input: input({ maintenanceRecheckEvery: '1s' }),
      taskQueue,
    });
    await noteOf(handle);
    await sandboxAdmin(admin, 'faults', { endpoint: 'GET /news', action: 'status', status: 500, times: 100 });
    const r = await settled(handle, handle.result(), 20_000, 'works while the news are down');
    assert.ok(Date.parse(r.verifiedAt) >= end.getTime(), `verified at ${r.verifiedAt}, the works ended at ${end.toISOString()}`);
    assert.ok((await maintenanceReads(handle)) >= 3, 'the news were read (and failed) while waiting');
  });

  it('goes ahead past works already over, news it cannot read, and a failing GET /news', async () => {
    await announceWorks(new Date(Date.now() - 120_000), new Date(Date.now() - 60_000));
    assert.equal(
      (await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('maintenance-past'), input: input(), taskQueue })).outcome,
      'verified',
    );
    await sandboxAdmin(admin, 'config', {
      news: [{ date: '2026-12-01', subject: 'работы', text: 'Плановые работы будут проведены в ближайшие выходные.' }],
    });
    assert.equal(
      (await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('maintenance-vague'), input: input(), taskQueue })).outcome,
      'verified',
    );
    await sandboxAdmin(admin, 'faults', { endpoint: 'GET /news', action: 'status', status: 500, times: 10 });
    assert.equal(
      (await executeFlow(client, kiscVerifyIdentity, { workflowId: wfId('maintenance-down'), input: input(), taskQueue })).outcome,
      'verified',
    );
  });
});
