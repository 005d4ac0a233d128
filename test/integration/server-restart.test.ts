// The Temporal server restarts while flows are in flight. A dev server that keeps its state in a
// SQLite file is stopped while one flow of each automatic type waits on its provider (a delayed
// answer), and started again on the same port and file a few seconds later. Every flow completes;
// KISC billed each verification once, IS MPT counted one sign-in per flow, Kontur approved once, and
// Cipher has no ticket left open.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startFlow } from '../../src/client/flows.js';
import { startDevServer, type DevServer } from '../../src/demo/dev-server.js';
import { sandboxAdmin, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { freePort } from '../helpers/ports.js';
import { temporalCliPath, TEST_CODEC_KEYS, testDataConverter } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { cipherSign, kiscVerifyIdentity, konturSignIn, mptSignIn } from '../../src/flows/index.js';

const taskQueue = 'server-restart-test';
let dir: string;
let sandbox: Sandbox;
let server: DevServer | undefined;
let worker: WorkerProcess | undefined;
const connections: Connection[] = [];

const serverOptions = async () => ({
  cliPath: temporalCliPath(),
  port: await freePort(),
  uiPort: await freePort(),
  dbFile: join(dir, 'temporal.db'),
});
let options: Awaited<ReturnType<typeof serverOptions>>;

async function connect(): Promise<Client> {
  const connection = await Connection.connect({ address: server!.address });
  connections.push(connection);
  return new Client({ connection, namespace: 'default', dataConverter: testDataConverter });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trustflow-restart-'));
  options = await serverOptions();
  [sandbox, server] = await Promise.all([startSandbox({ dir: join(dir, 'sandbox') }), startDevServer(options)]);
  assert.ok(sandbox.simulators.kontur, 'needs OpenSSL + gost-engine');
  // The worker registers the search attributes at start-up, as in production.
  worker = await startWorkerProcess({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: taskQueue,
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
  });
});

after(async () => {
  for (const c of connections) await c.close().catch(() => {});
  await worker?.kill('SIGKILL');
  await server?.stop();
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

it(
  'every flow in flight completes after a server restart, nothing billed or approved twice, no Cipher ticket left',
  { timeout: 240_000 },
  async () => {
    const ex = sandbox.manifest.examples;
    const admin = (name: 'ismpt' | 'kisc' | 'cipher' | 'kontur') => sandbox.simulators[name]!.adminBaseUrl;
    // Each flow's provider holds one answer for 3 s: the server goes down while they wait.
    const held = [
      ['ismpt', 'POST /auth/simpleSignIn'],
      ['kisc', 'POST /verify'],
      ['cipher', 'POST /ticket/{uuid}/ds/creator'],
      ['kontur', 'POST /auth/{version}/approve-cert'],
    ] as const;
    await sandboxAdmin(admin('cipher'), 'config', { signingMs: 0 });
    for (const [name, endpoint] of held) await sandboxAdmin(admin(name), 'faults', { endpoint, action: 'delay', delayMs: 3000 });

    let client = await connect();
    const handles: WorkflowHandle[] = [
      await startFlow(client, mptSignIn, { workflowId: 'restart-mpt', input: ex.mptSignIn, taskQueue }),
      await startFlow(client, kiscVerifyIdentity, { workflowId: 'restart-kisc', input: ex.kiscVerifyIdentity, taskQueue }),
      await startFlow(client, cipherSign, { workflowId: 'restart-cipher', input: ex.cipherSign, taskQueue }),
      await startFlow(client, konturSignIn, { workflowId: 'restart-kontur', input: ex.konturSignIn!, taskQueue }),
    ];
    for (const [name, endpoint] of held) {
      for (let i = 0; !((await sandboxAdmin(admin(name), 'state')).calls?.[endpoint] >= 1); i++) {
        assert.ok(i < 800, `${name} ${endpoint} was not reached`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }

    await server!.stop();
    await new Promise((r) => setTimeout(r, 4000)); // the held answers arrive while the server is down
    server = await startDevServer(options);
    client = await connect();

    const results = await Promise.all(handles.map((h) => client.workflow.getHandle(h.workflowId).result()));
    assert.equal(results.length, 4);
    for (const h of handles)
      assert.equal((await client.workflow.getHandle(h.workflowId).describe()).status.name, 'COMPLETED', h.workflowId);

    const kisc = await sandboxAdmin(admin('kisc'), 'state');
    assert.deepEqual(Object.values(kisc.billedPerKey), [1], JSON.stringify(kisc.billing));
    assert.equal(kisc.calls['POST /verify'], 1, 'the billed request was sent once');
    assert.equal((await sandboxAdmin(admin('ismpt'), 'state')).successfulSignIns, 1);
    const cipher = await sandboxAdmin(admin('cipher'), 'state');
    assert.equal(cipher.openTickets, 0, JSON.stringify(cipher.openTicketIds));
    const kontur = await sandboxAdmin(admin('kontur'), 'state');
    assert.equal(kontur.activeSessions, 1, JSON.stringify(kontur));
  },
);
