// mptSignIn with a person signer, end to end below the page: a real Temporal dev server, the real
// worker, the IS MPT simulator and the sandbox's alert receiver over loopback. The "person" is a
// sandbox PKCS#12 key signing the challenge the flow shows in its `personSigning` query, submitted
// through the `submitPersonSignature` Update as the signing server does. The browser half (page,
// NCALayer) is test/e2e/person-signer-page.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startFlow } from '../../src/client/flows.js';
import { endTokenKeeper, getMptToken } from '../../src/client/token-keepers.js';
import { alertSettingsFromEnv, LOG_ONLY_ALERTS } from '../../src/common/alert-settings.js';
import { signingLinkFor } from '../../src/client/signing-links.js';
import { createTrustflowWorker } from '../../src/worker/worker.js';
import { testDataConverter, testWorkflowBundle } from '../helpers/temporal.js';
import { FailureType } from '../../src/common/errors.js';
import type { TrustflowAlert } from '../../src/contracts/alert.js';
import type { FlowStatus } from '../../src/contracts/status.js';
import { openSigner } from '../../src/crypto/keys/signer.js';
import type { MptSignInInput } from '../../src/flows/ismpt/mpt-sign-in.contract.js';
import {
  MAX_REFUSED_SUBMISSIONS,
  PERSON_SIGNATURE_REFUSED,
  PERSON_SIGNING_QUERY,
  SUBMIT_PERSON_SIGNATURE,
  type PersonSigningView,
  type SubmitPersonSignatureRequest,
  type SubmitPersonSignatureResult,
} from '../../src/flows/person-signing/person-signing.contract.js';
import { mptSignIn } from '../../src/flows/index.js';
import { linkKeyFromSecret, openLinkToken } from '../../src/common/signing-link.js';
import { resolveSecret } from '../../src/secrets/resolve.js';
import { sandboxAdmin } from '../../src/sandbox/index.js';
import { failureOf, sandboxAlertEnv, startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { findSecrets, storedHistory, visibleMetadata } from '../helpers/history.js';

const taskQueue = 'mpt-person-signer-test';
const LINK_SECRET = 'person-signer-test-link-key-9f8e7d6c5b4a39281706';
const linkKey = linkKeyFromSecret(LINK_SECRET);
const PAGE_URL = 'http://127.0.0.1:9/';

let t: FlowTestEnv;
let client: Client;
let mptUrl: string;
let alertsAdmin: string;
let n = 0;

const wfId = (name: string) => `test-mpt-person-${name}-${++n}`;
const personInput = (extra: Record<string, unknown> = {}, signer: Record<string, unknown> = {}): MptSignInInput => ({
  baseUrl: mptUrl,
  signer: {
    kind: 'person',
    role: 'director',
    expected: { iin: t.sandbox.manifest.keys['mpt-legacy']!.iin },
    caBundle: t.sandbox.manifest.ca.certificate,
    deadline: '2m',
    remindEvery: '1h',
    notify: { recipient: 'seller-1042', labels: { team: 'onboarding' } },
    ...signer,
  } as MptSignInInput['signer'],
  ...extra,
});

/** The CMS the person's NCALayer would make: attached, over `data`, with the sandbox key `user`. */
async function signAs(user: string, data: string): Promise<string> {
  const k = t.sandbox.manifest.keys[user]!;
  const signer = await openSigner({ kind: 'pkcs12', path: k.p12, password: k.password as `file:/${string}` }, resolveSecret);
  return (await signer.signCms(Buffer.from(data, 'utf8'), { detached: false })).toString('base64');
}

const view = (h: WorkflowHandle) => h.query<PersonSigningView>(PERSON_SIGNING_QUERY);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The view once the flow has a challenge and is waiting. */
const waiting = (h: WorkflowHandle) => waitFor('the signing request', async () => ((await view(h)).challenge ? view(h) : undefined));

const alerts = async () => (await sandboxAdmin(alertsAdmin, 'state')).alerts as { body: TrustflowAlert; signatureValid: boolean | null }[];
const alertsOf = async (workflowId: string) => (await alerts()).filter((a) => a.body.credentialId === workflowId).map((a) => a.body);

function submit(h: WorkflowHandle, req: SubmitPersonSignatureRequest): Promise<SubmitPersonSignatureResult> {
  return h.executeUpdate<SubmitPersonSignatureResult, [SubmitPersonSignatureRequest]>(SUBMIT_PERSON_SIGNATURE, { args: [req] });
}

/** The refusal's reason, from the failed Update. */
async function refusal(p: Promise<unknown>): Promise<{ reason: string; message: string }> {
  const err = await p.then(
    () => assert.fail('the submission was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(err)}`);
  const cause = err.cause;
  assert.ok(cause instanceof ApplicationFailure, `expected an ApplicationFailure cause, got ${String(cause)}`);
  assert.equal(cause.type, PERSON_SIGNATURE_REFUSED);
  return { reason: (cause.details?.[0] as { reason: string }).reason, message: cause.message };
}

const ismptState = () => sandboxAdmin(mptUrl, 'state');

before(async () => {
  t = await startFlowTestEnv(taskQueue, {
    activityDeps: async (sandbox) => ({
      alerts: alertSettingsFromEnv(await sandboxAlertEnv(sandbox.manifest)),
      signingPage: { pageUrl: PAGE_URL.replace(/\/$/, ''), linkKey },
    }),
  });
  client = t.client;
  mptUrl = t.sandbox.manifest.services.ismpt!.baseUrl;
  alertsAdmin = t.sandbox.simulators.alerts.adminBaseUrl;
});

after(() => t?.stop());

beforeEach(async () => {
  await sandboxAdmin(mptUrl, 'reset');
  await sandboxAdmin(alertsAdmin, 'reset');
});

describe('mptSignIn with a person signer', () => {
  it('waits, sends the link through the alert sink, accepts the right signature, signs in once; status says who it waits for', async () => {
    const workflowId = wfId('happy');
    const h = await startFlow(client, mptSignIn, { workflowId, input: personInput(), taskQueue });
    const v = await waiting(h);
    assert.equal(v.state, 'waiting');
    assert.equal(v.expected.iinLast4, t.sandbox.manifest.keys['mpt-legacy']!.iin.slice(-4));
    assert.equal(Buffer.from(v.challenge!.dataBase64, 'base64').length > 0, true);

    const status = await h.query<FlowStatus>('status');
    assert.equal(status.step, 'waiting_for_signature');
    assert.match(status.note ?? '', /^waiting for the director to sign since \d{4}-/);
    // What the Web UI shows as the workflow's current details.
    const metadata = await h.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /^waiting for the director to sign since /);

    const [requested] = await waitFor('the signing.requested alert', async () => {
      const a = await alertsOf(workflowId);
      return a.length > 0 ? a : undefined;
    });
    assert.equal(requested!.event, 'signing.requested');
    assert.equal(requested!.signing?.recipient, 'seller-1042');
    assert.equal(requested!.labels.team, 'onboarding');
    assert.equal(requested!.signing?.dataSha256, v.challenge!.sha256);
    const link = requested!.signing!.link;
    assert.ok(link.startsWith(`${PAGE_URL}sign#`), link);
    const opened = openLinkToken(linkKey, link.split('#')[1]!, new Date());
    assert.ok(opened.ok);
    assert.equal(opened.link.workflowId, workflowId);
    assert.equal(opened.link.requestId, v.requestId);
    assert.equal(opened.link.expiresAt.toISOString(), v.deadline.replace(/\.\d{3}Z$/, '.000Z'));

    const cms = await signAs('mpt-legacy', Buffer.from(v.challenge!.dataBase64, 'base64').toString('utf8'));
    const accepted = await submit(h, { requestId: v.requestId, challengeId: v.challenge!.id, cms });
    assert.equal(accepted.accepted, true);
    assert.equal(accepted.signer.iinLast4, t.sandbox.manifest.keys['mpt-legacy']!.iin.slice(-4));

    const result = await h.result();
    assert.ok(result.token.length > 20);
    const s = await ismptState();
    assert.equal(s.successfulSignIns, 1);
    assert.equal((await view(h)).state, 'signed');
    assert.equal((await h.query<FlowStatus>('status')).note, undefined);

    // The link is used up: the flow is over (its view says signed, which the page turns into "link used"),
    // and a second submission reaches nothing.
    await assert.rejects(submit(h, { requestId: v.requestId, challengeId: v.challenge!.id, cms }), /already completed/);

    // Nothing personal or secret in the stored history: not the link token, the CMS, the IIN, the token.
    const stored = await storedHistory(client, workflowId);
    const iin = t.sandbox.manifest.keys['mpt-legacy']!.iin;
    assert.deepEqual(
      findSecrets(stored, [
        { label: 'link token', value: link.split('#')[1]! },
        { label: 'CMS', value: cms },
        { label: 'CMS bytes', value: Buffer.from(cms, 'base64').subarray(0, 200) },
        { label: 'IIN', value: iin },
        { label: 'token', value: result.token },
      ]),
      [],
    );
    assert.doesNotMatch(await visibleMetadata(client, workflowId), new RegExp(iin));
  });

  it('refuses a wrong signer, a CMS over other data, a tampered CMS, a replaced challenge id and junk; keeps waiting; then accepts', async () => {
    const h = await startFlow(client, mptSignIn, { workflowId: wfId('refusals'), input: personInput(), taskQueue });
    const v = await waiting(h);
    const data = Buffer.from(v.challenge!.dataBase64, 'base64').toString('utf8');
    const base = { requestId: v.requestId, challengeId: v.challenge!.id };

    const wrong = await refusal(submit(h, { ...base, cms: await signAs('mpt-aes', data) }));
    assert.equal(wrong.reason, 'wrong-signer');
    assert.match(wrong.message, new RegExp(t.sandbox.manifest.keys['mpt-legacy']!.iin.slice(-4)));
    assert.doesNotMatch(wrong.message, new RegExp(t.sandbox.manifest.keys['mpt-legacy']!.iin));
    assert.equal((await view(h)).lastRefusal?.reason, 'wrong-signer');

    assert.equal((await refusal(submit(h, { ...base, cms: await signAs('mpt-legacy', `${data}x`) }))).reason, 'other-data');
    const good = Buffer.from(await signAs('mpt-legacy', data), 'base64');
    const tampered = Buffer.from(good);
    tampered[tampered.length - 10]! ^= 0x01;
    assert.equal((await refusal(submit(h, { ...base, cms: tampered.toString('base64') }))).reason, 'bad-signature');
    assert.equal(
      (await refusal(submit(h, { ...base, challengeId: 'not-the-challenge', cms: good.toString('base64') }))).reason,
      'challenge-replaced',
    );
    assert.equal((await refusal(submit(h, { ...base, requestId: 'another-request', cms: good.toString('base64') }))).reason, 'not-waiting');
    assert.equal((await refusal(submit(h, { ...base, cms: '%%% not base64' }))).reason, 'unreadable');

    assert.equal((await view(h)).state, 'waiting');
    assert.equal((await ismptState()).calls['POST /auth/simpleSignIn'] ?? 0, 0, 'nothing was sent to IS MPT');
    await submit(h, { ...base, cms: good.toString('base64') });
    assert.ok((await h.result()).token);
    assert.equal((await ismptState()).successfulSignIns, 1);
  });

  it('replaces a challenge older than challengeTtl, tells the page (replaced, new id), refuses the old one, accepts the new one; reminders go out', async () => {
    const workflowId = wfId('refresh');
    const h = await startFlow(client, mptSignIn, {
      workflowId,
      input: personInput({}, { challengeTtl: '2s', remindEvery: '1500ms' }),
      taskQueue,
    });
    const first = await waiting(h);
    const second = await waitFor('a replaced challenge', async () => {
      const v = await view(h);
      return v.challenge && v.challenge.id !== first.challenge!.id ? v : undefined;
    });
    assert.ok(second.challenge!.replaced >= 1);
    const oldCms = await signAs('mpt-legacy', Buffer.from(first.challenge!.dataBase64, 'base64').toString('utf8'));
    assert.equal(
      (await refusal(submit(h, { requestId: first.requestId, challengeId: first.challenge!.id, cms: oldCms }))).reason,
      'challenge-replaced',
    );
    const current = await view(h);
    await submit(h, {
      requestId: current.requestId,
      challengeId: current.challenge!.id,
      cms: await signAs('mpt-legacy', Buffer.from(current.challenge!.dataBase64, 'base64').toString('utf8')),
    });
    assert.ok((await h.result()).token);
    const tiers = (await alertsOf(workflowId)).map((a) => a.tier);
    assert.ok(tiers.includes('signing-requested'), tiers.join());
    assert.ok(tiers.includes('signing-reminder-1'), tiers.join());
  });

  it('IS MPT expired the challenge while the person took their time: a fresh one, the page told, the person signs again', async () => {
    await sandboxAdmin(mptUrl, 'config', { challengeTtlMs: 1000 });
    const h = await startFlow(client, mptSignIn, { workflowId: wfId('stale'), input: personInput({}, { challengeTtl: '1h' }), taskQueue });
    const first = await waiting(h);
    await new Promise((r) => setTimeout(r, 1500));
    const sign = async (v: PersonSigningView) =>
      submit(h, {
        requestId: v.requestId,
        challengeId: v.challenge!.id,
        cms: await signAs('mpt-legacy', Buffer.from(v.challenge!.dataBase64, 'base64').toString('utf8')),
      });
    assert.equal((await sign(first)).accepted, true);
    const renewed = await waitFor('the renewed request', async () => {
      const v = await view(h);
      return v.state === 'waiting' && v.challenge!.id !== first.challenge!.id ? v : undefined;
    });
    assert.equal(renewed.lastRefusal?.reason, 'challenge-replaced');
    assert.equal(renewed.challenge!.replaced, 1);
    await sandboxAdmin(mptUrl, 'config', { challengeTtlMs: 60_000 });
    await sign(renewed);
    assert.ok((await h.result()).token);
    const s = await ismptState();
    assert.equal(s.successfulSignIns, 1);
    assert.equal(s.calls['POST /auth/simpleSignIn'], 2);
  });

  it('ends at the deadline with SignatureDeadlinePassed and nothing sent to IS MPT', async () => {
    const workflowId = wfId('deadline');
    const h = await startFlow(client, mptSignIn, { workflowId, input: personInput({}, { deadline: '3s' }), taskQueue });
    await waiting(h);
    const err = await h.result().then(
      () => assert.fail('the flow succeeded without a signature'),
      (e: unknown) => e,
    );
    const failure = failureOf(err);
    assert.equal(failure.type, FailureType.SignatureDeadlinePassed);
    assert.match(failure.message, /no valid signature from the director by the deadline/);
    assert.equal((await ismptState()).calls['POST /auth/simpleSignIn'] ?? 0, 0);
    assert.equal((await view(h)).state, 'expired');
  });

  it('refuses at the start a person signer without IIN or BIN, with an IIN in the role, a relative caBundle, or a wait no history holds', async () => {
    const bad = [
      personInput({}, { expected: {} }),
      personInput({}, { role: 'director 900101300017' }),
      personInput({}, { caBundle: 'ca.pem' }),
      personInput({}, { deadline: '30d', challengeTtl: '1m' }), // 43,200 replaced challenges: more than one history takes
      personInput({}, { deadline: '91d' }),
    ];
    for (const input of bad) await assert.rejects(startFlow(client, mptSignIn, { workflowId: wfId('bad'), input, taskQueue }), /signer/);
  });

  it('a request takes at most 50 refused signatures, then refuses every further one before any check', { timeout: 120_000 }, async () => {
    const h = await startFlow(client, mptSignIn, { workflowId: wfId('attempts'), input: personInput(), taskQueue });
    const v = await waiting(h);
    const req = { requestId: v.requestId, challengeId: v.challenge!.id, cms: await signAs('mpt-aes', 'other data') };
    for (let i = 0; i < MAX_REFUSED_SUBMISSIONS; i++) assert.equal((await refusal(submit(h, req))).reason, 'other-data');
    const before = (await h.fetchHistory()).events!.length;
    assert.equal((await refusal(submit(h, req))).reason, 'too-many-attempts');
    assert.equal((await h.fetchHistory()).events!.length, before, 'refused by the validator: nothing written');
    await h.cancel();
  });

  it('a worker without an alert webhook: the link went to no one, and the status says how to send it', async () => {
    const queue = `${taskQueue}-log-only`;
    const logOnly = await createTrustflowWorker({
      connection: t.env.nativeConnection,
      namespace: 'default',
      taskQueue: queue,
      dataConverter: testDataConverter,
      workflowBundle: await testWorkflowBundle(),
      activityDeps: { alerts: LOG_ONLY_ALERTS, signingPage: { pageUrl: PAGE_URL.replace(/\/$/, ''), linkKey } },
    });
    await logOnly.runUntil(async () => {
      const workflowId = wfId('log-only');
      const h = await startFlow(client, mptSignIn, { workflowId, input: personInput(), taskQueue: queue });
      const status = await waitFor('the warning', async () => {
        const s = await h.query<FlowStatus>('status');
        return s.warnings?.length ? s : undefined;
      });
      assert.match(status.warnings![0]!, new RegExp(`trustflow signing-link --workflow-id ${workflowId}`));
      assert.deepEqual(await alertsOf(workflowId), []);
      const made = await signingLinkFor(client, workflowId, { pageUrl: PAGE_URL.replace(/\/$/, ''), linkKey });
      const opened = openLinkToken(linkKey, made.link.split('#')[1]!, new Date());
      assert.ok(opened.ok && opened.link.requestId === (await view(h)).requestId);
      await h.cancel();
    });
  });

  it('a token keeper with a person: callers are told it waits for the person at once, then get the token once signed', async () => {
    const input = {
      signIn: personInput({}, { expected: { iin: t.sandbox.manifest.keys['mpt-legacy']!.iin, bin: undefined } }),
      keeper: { signAhead: '1h' },
    };
    const get = () => getMptToken(client, { input: input.signIn, keeper: input.keeper, taskQueue, coalesce: false });
    // A person keeper is named by the caller's key for the person, never by the IIN: required.
    await assert.rejects(getMptToken(client, { input: personInput({}, { notify: undefined }), taskQueue }), /signer\.notify\.recipient/);
    await assert.rejects(
      getMptToken(client, {
        input: {
          baseUrl: mptUrl,
          signer: {
            kind: 'pkcs12',
            path: t.sandbox.manifest.keys['mpt-legacy']!.p12,
            password: t.sandbox.manifest.keys['mpt-legacy']!.password as `file:/${string}`,
          },
        },
        keeper: { signAhead: '1h' },
        taskQueue,
      }),
      /signAhead.*person signers only/,
    );
    const t0 = Date.now();
    await assert.rejects(get(), (err: Error) => {
      assert.match(err.message, /waiting for the director to sign since/);
      return true;
    });
    assert.ok(Date.now() - t0 < 15_000, 'told at once, not after the sign-in');
    await assert.rejects(get(), /waiting for the director to sign/);
    // The keeper's sign-in child is the flow that waits: find it by its alert.
    const alert = await waitFor(
      'the keeper sign-in alert',
      async () => (await alerts()).find((a) => a.body.event === 'signing.requested')?.body,
    );
    const child = client.workflow.getHandle(alert.credentialId);
    const v = await waiting(child);
    await submit(child, {
      requestId: v.requestId,
      challengeId: v.challenge!.id,
      cms: await signAs('mpt-legacy', Buffer.from(v.challenge!.dataBase64, 'base64').toString('utf8')),
    });
    const grant = await waitFor('the token from the keeper', async () => get());
    assert.ok(grant.token.length > 20);
    assert.equal((await get()).token, grant.token);
    assert.equal((await ismptState()).successfulSignIns, 1);
    await endTokenKeeper(client, 'ismpt', input.signIn, { reason: 'test done' });
  });

  it('a person keeper sends the link signAhead before expiry, serves the old token until it expires, then says it waits', async () => {
    await sandboxAdmin(mptUrl, 'config', { tokenTtlMs: 8000 });
    const iin = t.sandbox.manifest.keys['mpt-legacy']!.iin;
    const signIn = personInput({}, { expected: { iin }, role: 'accountant', notify: { recipient: 'seller-2077' } });
    const keeper = { signAhead: '5s', minValidity: '1s' };
    const get = () => getMptToken(client, { input: signIn, keeper, taskQueue, coalesce: false });
    const signThe = async (n: number) => {
      const alert = await waitFor(`sign-in ${n}'s link`, async () =>
        (await alerts()).map((a) => a.body).find((a) => a.event === 'signing.requested' && a.credentialId.endsWith(`/sign-in-${n}`)),
      );
      const child = client.workflow.getHandle(alert.credentialId);
      const v = await waiting(child);
      await submit(child, {
        requestId: v.requestId,
        challengeId: v.challenge!.id,
        cms: await signAs('mpt-legacy', Buffer.from(v.challenge!.dataBase64, 'base64').toString('utf8')),
      });
    };
    await assert.rejects(get(), /waiting for the accountant to sign/);
    await signThe(1);
    const first = await waitFor('the first token', async () => get());
    const expiresAt = Date.parse(first.expiresAt);
    // About 3 s into its 8 s life the keeper asks again (5 s ahead) while it still serves the first token.
    const ahead = await waitFor("sign-in 2's link", async () =>
      (await alerts()).map((a) => a.body).find((a) => a.event === 'signing.requested' && a.credentialId.endsWith('/sign-in-2')),
    );
    assert.ok(Date.parse(ahead.createdAt) < expiresAt, `link sent ${ahead.createdAt}, token expires ${first.expiresAt}`);
    assert.equal((await get()).token, first.token);
    // Not signed: once the first token is no longer usable, callers are told at once.
    await waitFor('the expiry of the first token', async () => (Date.now() > expiresAt ? true : undefined), 15_000);
    await assert.rejects(get(), /waiting for the accountant to sign since/);
    await signThe(2);
    const second = await waitFor('the second token', async () => get());
    assert.notEqual(second.token, first.token);
  });
});
