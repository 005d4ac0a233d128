// The production topology, without Docker: PostgreSQL, a Temporal server (1.29.1, built from the Go
// module proxy) on it with SQL advanced visibility, and two `node dist/src/worker/main.js` workers
// (scripts/local-cluster). On it: every flow type completes; a worker SIGKILLed while KISC holds a
// billed verification leaves the flow to the other worker with exactly one billed call; trustflow's
// search attributes are queryable on PostgreSQL; each worker's /metrics has temporal_ and trustflow_
// series; and an in-process OTLP receiver gets one connected trace per flow with no secret in it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { submitKpsisCertificate, startFlow, executeFlow } from '../../src/client/flows.js';
import { connectClient } from '../../src/client/connection.js';
import { issueSandboxCertificate, sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { flushTracing, setupTracing } from '../../src/worker/telemetry.js';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster.js';
import { cipherSign, kiscReconcile, kiscVerifyIdentity, konturSignIn, kpsisIssueCertificate, mptSignIn } from '../../src/flows/index.js';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP (JSON) trace receiver, in this process. */
function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; raw: string[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const raw: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      raw.push(text);
      try {
        const body = JSON.parse(text) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
            scopeSpans?: {
              spans?: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                attributes?: { key: string; value: Record<string, unknown> }[];
              }[];
            }[];
          }[];
        };
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                service,
                attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
              });
        }
      } catch {
        // not JSON: kept in raw, and the assertions below will say so
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, raw, server })),
  );
}

let cluster: LocalCluster;
let sandbox: Sandbox;
let client: Client;
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
const taskQueue = 'trustflow';
const ids: Record<string, string> = {};
const secrets: { label: string; value: string }[] = [];

before(async () => {
  otlp = await startOtlpReceiver();
  sandbox = await startSandbox({ dir: await mkdtemp(join(tmpdir(), 'trustflow-cluster-sandbox-')) });
  cluster = await startLocalCluster({
    workers: 2,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'trustflow-worker', TRUSTFLOW_LOG_LEVEL: 'info' },
  });
  // This process is the caller: its start spans are the roots the workers' spans join.
  setupTracing({ otlpEndpoint: otlp.url, serviceName: 'trustflow-test-client' });
  process.env.TRUSTFLOW_CODEC_KEY_FILE = cluster.codecKeyFile;
  client = await connectClient({ address: cluster.address, namespace: cluster.namespace, taskQueue });
});

after(async () => {
  await client?.connection.close();
  await cluster?.stop();
  await sandbox?.stop();
  otlp?.server.close();
});

describe('the production topology: PostgreSQL-backed Temporal server, two worker processes', () => {
  it('every flow type completes on the cluster', { timeout: 300_000 }, async () => {
    const ex = sandbox.manifest.examples;
    const stamp = Date.now();
    const id = (flow: string) => (ids[flow] = `cluster-${flow}-${stamp}`);

    const mpt = await executeFlow(client, mptSignIn, { workflowId: id('mptSignIn'), input: ex.mptSignIn!, taskQueue });
    secrets.push({ label: 'IS MPT token', value: mpt.token });
    assert.ok(mpt.token.length > 20);

    if (!ex.konturSignIn)
      assert.fail('the sandbox has no konturSignIn example: gost-engine is missing (apt-get install libengine-gost-openssl)');
    const kontur = await executeFlow(client, konturSignIn, { workflowId: id('konturSignIn'), input: ex.konturSignIn, taskQueue });
    secrets.push({ label: 'Kontur sid', value: kontur.sid });

    const cipher = await executeFlow(client, cipherSign, { workflowId: id('cipherSign'), input: ex.cipherSign!, taskQueue });
    assert.ok(cipher.signatureBytes > 0);
    assert.equal((await sandboxAdmin(sandbox.simulators.cipher.adminBaseUrl, 'state')).openTickets, 0);

    const kpsisInput = ex.kpsisIssueCertificate!;
    const kpsis = await startFlow(client, kpsisIssueCertificate, { workflowId: id('kpsisIssueCertificate'), input: kpsisInput, taskQueue });
    const request = join(kpsisInput.artifactsDir, 'cert_req.req');
    for (let i = 0; !existsSync(request); i++) {
      assert.ok(i < 1200, 'the KPSIS certificate request did not appear');
      await new Promise((r) => setTimeout(r, 50));
    }
    const pem = await issueSandboxCertificate(sandbox.manifest.kpsis.caIssueUrl, await readFile(request));
    await submitKpsisCertificate(client, ids.kpsisIssueCertificate!, pem);
    assert.equal((await kpsis.result()).outcome, 'issued');

    const kisc = await executeFlow(client, kiscVerifyIdentity, {
      workflowId: id('kiscVerifyIdentity'),
      input: ex.kiscVerifyIdentity!,
      taskQueue,
    });
    assert.equal(kisc.outcome, 'verified');
    secrets.push({ label: 'IIN', value: ex.kiscVerifyIdentity!.iin });

    const reconcile = await executeFlow(client, kiscReconcile, { workflowId: id('kiscReconcile'), input: ex.kiscReconcile!, taskQueue });
    assert.equal(typeof reconcile.matched, 'number');

    const cipherInspect = await client.workflow.execute('cipherInspectKeyStore', {
      workflowId: id('cipherInspectKeyStore'),
      taskQueue,
      args: [ex.cipherInspectKeyStore],
    });
    assert.ok(cipherInspect);
  });

  it('trustflow search attributes are queryable on PostgreSQL visibility', { timeout: 60_000 }, async () => {
    assert.ok(ids.mptSignIn, 'runs after the flows');
    const query = `TrustflowFlow = 'mptSignIn' AND TrustflowOutcome = 'succeeded' AND WorkflowId = '${ids.mptSignIn}'`;
    let found: string[] = [];
    for (let i = 0; i < 60 && found.length === 0; i++) {
      found = [];
      for await (const w of client.workflow.list({ query })) found.push(w.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(found, [ids.mptSignIn]);
    const failed: string[] = [];
    for await (const w of client.workflow.list({ query: `TrustflowOutcome = 'failed' AND WorkflowId = '${ids.mptSignIn}'` }))
      failed.push(w.workflowId);
    assert.deepEqual(failed, []);
  });

  it("each worker's /metrics has temporal_ and trustflow_ series, with no workflow id or IIN in a label", async () => {
    const texts = await Promise.all(cluster.workers.map(async (w) => (await fetch(w.metricsUrl)).text()));
    for (const t of texts) assert.match(t, /^temporal_\w+/m, 'SDK series on every worker');
    const all = texts.join('\n');
    assert.match(all, /^trustflow_flows_completed\{[^}]*flow="mptSignIn"[^}]*outcome="succeeded"/m);
    assert.match(
      all,
      /^trustflow_provider_requests\{[^}]*provider="IS MPT"|^trustflow_provider_requests\{[^}]*endpoint="GET \/auth\/key"/m,
    );
    assert.match(all, /^trustflow_provider_request_latency_bucket\{/m);
    assert.match(all, /^trustflow_billed_calls\{[^}]*endpoint="POST \/verify"[^}]*\} [1-9]/m);
    for (const id of Object.values(ids)) assert.ok(!all.includes(id), `workflow id ${id} in a metric label`);
    assert.ok(!all.includes(sandbox.manifest.examples.kiscVerifyIdentity!.iin), 'IIN in a metric label');
  });

  it(
    'one connected trace per flow: the caller, the workflow, its activities and provider calls; no secret in any span',
    { timeout: 60_000 },
    async () => {
      await flushTracing();
      const traceOf = (workflowId: string) =>
        otlp.spans.find((s) => s.attributes.workflowId === workflowId || s.attributes['temporal.workflow.id'] === workflowId)?.traceId;
      let mptTrace: string | undefined;
      for (let i = 0; i < 40 && !(mptTrace && otlp.spans.some((s) => s.traceId === mptTrace && / GET \/auth\/key$/.test(s.name))); i++) {
        await new Promise((r) => setTimeout(r, 500));
        mptTrace = traceOf(ids.mptSignIn!);
      }
      assert.ok(mptTrace, `no span names mptSignIn's workflow id; got: ${[...new Set(otlp.spans.map((s) => s.name))].join(', ')}`);
      const inTrace = otlp.spans.filter((s) => s.traceId === mptTrace);
      const services = new Set(inTrace.map((s) => s.service));
      assert.ok(services.has('trustflow-test-client') && services.has('trustflow-worker'), [...services].join());
      assert.ok(
        inTrace.some((s) => /StartWorkflow/.test(s.name)),
        "the caller's start span",
      );
      assert.ok(
        inTrace.some((s) => /RunWorkflow/.test(s.name)),
        'the workflow span',
      );
      assert.ok(
        inTrace.some((s) => /RunActivity:mptSignChallenge/.test(s.name)),
        'the signing activity span',
      );
      assert.ok(
        inTrace.some((s) => / POST \/auth\/simpleSignIn$/.test(s.name)),
        'the provider call span',
      );
      // Every span of the trace hangs off another span of it, except the caller's root.
      const spanIds = new Set(inTrace.map((s) => s.spanId));
      assert.equal(inTrace.filter((s) => !s.parentSpanId || !spanIds.has(s.parentSpanId)).length, 1, 'one root');
      // Other flows have their own traces.
      for (const flow of ['cipherSign', 'kiscVerifyIdentity']) {
        const t = traceOf(ids[flow]!);
        assert.ok(t && t !== mptTrace, `${flow} has its own trace`);
      }
      // Every key-store password the sandbox handed to the flows.
      for (const k of Object.values(sandbox.manifest.keys))
        if (k.password.startsWith('file:'))
          secrets.push({ label: `password of ${k.p12}`, value: (await readFile(k.password.slice(5), 'utf8')).trim() });
      const everything = otlp.raw.join('\n');
      assert.ok(everything.length > 1000, 'spans were exported');
      for (const s of secrets) assert.ok(!everything.includes(s.value), `${s.label} in an exported span`);
    },
  );

  it(
    'a worker SIGKILLed while KISC holds a billed verification: the other worker completes it, billed once',
    { timeout: 180_000 },
    async () => {
      const admin = sandbox.simulators.kisc.adminBaseUrl;
      await sandboxAdmin(admin, 'reset');
      await sandboxAdmin(admin, 'faults', { endpoint: 'POST /verify', action: 'stall', delayMs: 60_000 });
      const workflowId = `cluster-kisc-crash-${Date.now()}`;
      const handle = await startFlow(client, kiscVerifyIdentity, {
        workflowId,
        input: sandbox.manifest.examples.kiscVerifyIdentity!,
        taskQueue,
      });
      for (let i = 0; (await sandboxAdmin(admin, 'state')).billing.length === 0; i++) {
        assert.ok(i < 1200, 'POST /verify was not reached');
        await new Promise((r) => setTimeout(r, 25));
      }
      // The worker running the billed activity: its identity is pid@host.
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const identity = pending.find((a) => a.activityType?.name === 'kiscVerify')?.lastWorkerIdentity ?? '';
      const holder = cluster.workers.find((w) => identity.startsWith(`${w.pid}@`));
      assert.ok(holder, `which worker holds kiscVerify? identity '${identity}', workers ${cluster.workers.map((w) => w.pid).join(', ')}`);
      await cluster.killWorker(holder.index, 'SIGKILL');

      const result = await handle.result();
      assert.equal(result.outcome, 'verified');
      const state = await sandboxAdmin(admin, 'state');
      assert.deepEqual(state.billedPerKey, { [result.idempotencyKey]: 1 }, JSON.stringify(state.billing));
      assert.equal(state.calls['POST /verify'], 1, 'the billed request was never sent again');
      assert.equal(state.dataCalls[result.idempotencyKey], 1, 'personal data fetched once');
      const survivor = cluster.workers.find((w) => w.index !== holder.index)!;
      const events = (await handle.fetchHistory()).events ?? [];
      const identities = new Set(
        events.flatMap((e) => (e.activityTaskStartedEventAttributes?.identity ? [e.activityTaskStartedEventAttributes.identity] : [])),
      );
      assert.ok(
        [...identities].some((i) => i.startsWith(`${survivor.pid}@`)),
        `the survivor ran activities: ${[...identities].join(', ')}`,
      );
    },
  );
});
