// cipherInspectKeyStore end to end: a real Temporal dev server, the worker code, the Cipher
// simulator over loopback HTTP. After every test the simulator must hold no open ticket.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { executeFlow } from '../../src/client/flows.js';
import { sandboxAdmin, type Sandbox } from '../../src/sandbox/index.js';
import { startFlowTestEnv, type FlowTestEnv } from '../helpers/flow-env.js';
import { assertResultFitsContract } from '../helpers/result-schema.js';
import { cipherInspectKeyStore } from '../../src/flows/index.js';

const taskQueue = 'cipher-inspect-test';
let t: FlowTestEnv;
let client: Client;
let sandbox: Sandbox;
let admin: string;
let n = 0;

const container = (name: string) => sandbox.manifest.cipher.containers[name]!;
const wfId = (name: string) => `test-cipher-${name}-${++n}`;
const state = () => sandboxAdmin(admin, 'state');

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

describe('cipherInspectKeyStore', () => {
  it('reports both keys with a certificate summary and the expiry warning', async () => {
    const ok = await executeFlow(client, cipherInspectKeyStore, {
      workflowId: wfId('inspect'),
      input: sandbox.manifest.examples.cipherInspectKeyStore,
      taskQueue,
    });
    assert.equal(ok.signature.state, 'present');
    assert.equal(ok.keyAgreement.state, 'absent');
    assert.equal(ok.signature.certificate!.owner, 'Коваль Кирило Кирилович');
    assert.equal(ok.signature.certificate!.notAfter, new Date(container('cipher-key').notAfter).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.deepEqual(ok.warnings, []);
    assertResultFitsContract('cipherInspectKeyStore', ok, ['signature', 'keyAgreement', 'warnings']);

    const expiring = await executeFlow(client, cipherInspectKeyStore, {
      workflowId: wfId('inspect-expiring'),
      input: {
        ...sandbox.manifest.examples.cipherInspectKeyStore,
        keyStore: { file: container('cipher-key-expiring').file },
        password: container('cipher-key-expiring').password as `file:/${string}`,
      },
      taskQueue,
    });
    assert.equal(expiring.warnings.length, 1);
    assert.ok(expiring.signature.certificate!.daysLeft! <= 5);

    const expired = await executeFlow(client, cipherInspectKeyStore, {
      workflowId: wfId('inspect-expired'),
      input: {
        ...sandbox.manifest.examples.cipherInspectKeyStore,
        keyStore: { file: container('cipher-key-expired').file },
        password: container('cipher-key-expired').password as `file:/${string}`,
      },
      taskQueue,
    });
    assert.equal(expired.signature.state, 'unusable');
    assert.match(expired.signature.message!, /Термін дії/);
    assert.ok(expired.signature.certificate!.daysLeft! < 0);
    assertResultFitsContract('cipherInspectKeyStore', expired, ['signature', 'keyAgreement', 'warnings']);
    assert.equal((await state()).ticketsDeleted, 3);
  });
});
