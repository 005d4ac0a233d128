// The credential lifecycle's pure parts: the inventory schema (defaults, every problem named by entry
// and field), the alert ladder and renewal point, the webhook signature (RFC 4231 vector), and which
// credentials of a scan `--fail-on` matches.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { credentialsInStates, FAIL_ON_STATES, loadInventoryFile, parseFailOn, sendTestAlert } from '../../src/client/credentials.js';
import type { CredentialsCheckResult } from '../../src/flows/credentials/credentials-check.contract.js';
import { DEFAULT_CREDENTIAL_POLICY, InventoryError, parseInventory } from '../../src/flows/credentials/inventory.contract.js';
import { formatDuration } from '../../src/contracts/fields.js';
import { verifyWebhookSignature, webhookSignature } from '../../src/common/webhook-signature.js';
import { daysLeft, renewalPointMs, tierOf, urgency } from '../../src/flows/credentials/credential-ladder.js';

const DAY = 86_400_000;

describe('inventory', () => {
  it('fills in the defaults: checks every 6h with 30m jitter, renewal at 2/3, ladder 30/14/7/3/1 days', () => {
    const inv = parseInventory({ version: 1, credentials: [{ id: 'root-ca', kind: 'certificate', file: '/etc/ca.pem' }] });
    assert.deepEqual(inv.checks, { every: 6 * 3_600_000, jitter: 30 * 60_000 });
    assert.deepEqual(inv.credentials[0]!.policy, DEFAULT_CREDENTIAL_POLICY);
    assert.deepEqual(DEFAULT_CREDENTIAL_POLICY.alertLadder.map(formatDuration), ['30d', '14d', '7d', '3d', '1d']);
    assert.equal(DEFAULT_CREDENTIAL_POLICY.renewAt, 2 / 3);
  });

  it('merges policy top-level then per entry, durations in any unit, the ladder longest first', () => {
    const inv = parseInventory({
      version: 1,
      policy: { renewAt: 0.5, alertLadder: ['1d', '7d'] },
      credentials: [
        { id: 'a', kind: 'certificate', file: '/a.pem' },
        { id: 'b', kind: 'certificate', file: '/b.pem', policy: { alertLadder: ['30s', '2m'], renewJitter: 0 } },
      ],
    });
    assert.deepEqual(
      inv.credentials.map((c) => [c.policy.renewAt, c.policy.alertLadder.map(formatDuration), c.policy.renewJitter]),
      [
        [0.5, ['7d', '1d'], 0.05],
        [0.5, ['2m', '30s'], 0],
      ],
    );
  });

  it('names every problem by entry and field, and never echoes a secret written where a reference belongs', () => {
    try {
      parseInventory({
        version: 1,
        checks: { every: '5s' },
        credentials: [
          { id: 'Bad Id', kind: 'certificate', file: '/a.pem' },
          { id: 'person-900101300017', kind: 'certificate', file: '/a.pem' },
          { id: 'k', kind: 'mtls', tls: { p12: 'relative.p12', password: 'S3cretValue!' } },
          { id: 'z', kind: 'certficate', file: '/a.pem' },
          {
            kind: 'kpsis-certificate',
            id: 'by',
            artifactsDir: '/x',
            renewal: { artifactsRoot: '/r', issue: { baseUrl: 'http://10.0.0.1:8088', artifactsDir: '/y' } },
          },
        ],
      });
      assert.fail('expected an InventoryError');
    } catch (err) {
      assert.ok(err instanceof InventoryError);
      const text = err.message;
      assert.match(text, /credentials\[0\] \(id 'Bad Id'\)\.id: must be 1-63 lowercase letters/);
      assert.match(text, /credentials\[1\] \(id 'person-900101300017'\)\.id: must not carry personal data/);
      assert.match(text, /credentials\[2\] \(id 'k'\)\.tls\.p12: must be an absolute path/);
      assert.match(text, /credentials\[2\] \(id 'k'\)\.tls\.password: must be a secret reference/);
      assert.match(text, /credentials\[3\] \(id 'z'\)\.kind: unknown kind 'certficate'.*did you mean 'certificate'/);
      assert.match(text, /credentials\[4\] \(id 'by'\)\.renewal\.issue\.artifactsDir: is chosen by the watch/);
      assert.match(text, /credentials\[4\] \(id 'by'\)\.renewal\.issue\.keyParam: /);
      assert.match(text, /checks\.every: must be at least 10s/);
      assert.doesNotMatch(text, /S3cretValue/);
    }
  });

  it('reads YAML and JSON files, and names the file when it is not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trustflow-inventory-'));
    try {
      await writeFile(join(dir, 'inv.yaml'), 'version: 1\ncredentials:\n  - id: root-ca\n    kind: certificate\n    file: /etc/ca.pem\n');
      assert.equal((await loadInventoryFile(join(dir, 'inv.yaml'))).credentials[0]!.entry.id, 'root-ca');
      await writeFile(join(dir, 'inv.json'), '{"version": 1, "credentials": []}');
      assert.equal((await loadInventoryFile(join(dir, 'inv.json'))).credentials.length, 0);
      await writeFile(join(dir, 'bad.yaml'), 'version: 1\ncredentials: [\n');
      await assert.rejects(loadInventoryFile(join(dir, 'bad.yaml')), /bad\.yaml: not valid YAML/);
      await assert.rejects(loadInventoryFile(join(dir, 'none.yaml')), /none\.yaml: cannot read the inventory \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ladder and renewal point', () => {
  const ladder = DEFAULT_CREDENTIAL_POLICY.alertLadder;
  const notAfter = Date.parse('2027-01-31T00:00:00Z');

  it('puts a certificate in the shortest ladder step it is within, then expired', () => {
    assert.equal(tierOf(notAfter, notAfter - 31 * DAY, ladder), null);
    assert.equal(tierOf(notAfter, notAfter - 30 * DAY, ladder), '30d');
    assert.equal(tierOf(notAfter, notAfter - 10 * DAY, ladder), '14d');
    assert.equal(tierOf(notAfter, notAfter - 12 * 3_600_000, ladder), '1d');
    assert.equal(tierOf(notAfter, notAfter, ladder), 'expired');
    assert.ok(urgency('expired', ladder) > urgency('1d', ladder) && urgency('1d', ladder) > urgency('30d', ladder));
    assert.equal(urgency('renewed', ladder), -1);
    assert.equal(daysLeft(notAfter, notAfter - 36 * 3_600_000), 1);
    assert.equal(daysLeft(notAfter, notAfter + 1), -1);
  });

  it('renews at 2/3 of the lifetime, up to 5% earlier, the same for the same certificate', () => {
    const notBefore = notAfter - 300 * DAY;
    const points = ['aa', 'bb', 'cc', 'dd'].map((id) => renewalPointMs(id, notBefore, notAfter, DEFAULT_CREDENTIAL_POLICY));
    for (const p of points) assert.ok(p <= notBefore + 200 * DAY && p >= notBefore + 185 * DAY, new Date(p).toISOString());
    assert.ok(new Set(points).size > 1, 'jitter spreads certificates');
    assert.equal(renewalPointMs('aa', notBefore, notAfter, DEFAULT_CREDENTIAL_POLICY), points[0]);
    assert.equal(renewalPointMs('aa', notBefore, notAfter, { ...DEFAULT_CREDENTIAL_POLICY, renewJitter: 0 }), notBefore + 200 * DAY);
  });
});

describe('alert webhook signature', () => {
  it('is HMAC-SHA256 over the exact body (RFC 4231 test case 2)', () => {
    assert.equal(
      webhookSignature('what do ya want for nothing?', 'Jefe'),
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('verifies only the exact body with the right secret', () => {
    const body = JSON.stringify({ alertId: 'x/1d' });
    const sig = webhookSignature(body, 'secret');
    assert.equal(verifyWebhookSignature(body, sig, 'secret'), true);
    assert.equal(verifyWebhookSignature(body + ' ', sig, 'secret'), false);
    assert.equal(verifyWebhookSignature(body, sig, 'other'), false);
    assert.equal(verifyWebhookSignature(body, undefined, 'secret'), false);
    assert.equal(verifyWebhookSignature(body, 'sha256=zz', 'secret'), false);
  });
});

describe('scan --fail-on', () => {
  const row = (id: string, state: CredentialsCheckResult['checked'][number]['state'], undelivered = 0) => ({
    id,
    state,
    notAfter: null,
    alertsSent: 0,
    undelivered,
    lastDeliveryError: undelivered
      ? { message: 'alert webhook POST (alert webhook) answered HTTP 503', at: '2027-01-01T00:00:00.000Z' }
      : null,
    lastError: state === 'unreadable' ? '/etc/x.pem: cannot read' : null,
  });
  const scan = {
    checked: [
      row('fine', 'ok'),
      row('soon', 'expiring'),
      row('gone', 'expired', 2),
      row('broken', 'unreadable'),
      row('early', 'not-yet-valid'),
      row('quiet', 'renewal-due', 1),
    ],
  };

  it('names the credentials in any of the states, each with the states it is in', () => {
    assert.deepEqual(credentialsInStates(scan, ['expired', 'expiring']), [
      { id: 'soon', states: ['expiring'] },
      { id: 'gone', states: ['expired'] },
    ]);
    assert.deepEqual(credentialsInStates(scan, ['undelivered', 'expired']), [
      { id: 'gone', states: ['expired', 'undelivered'] },
      { id: 'quiet', states: ['undelivered'] },
    ]);
    assert.deepEqual(credentialsInStates(scan, ['unreadable', 'not-yet-valid']), [
      { id: 'broken', states: ['unreadable'] },
      { id: 'early', states: ['not-yet-valid'] },
    ]);
    assert.deepEqual(credentialsInStates({ checked: [row('fine', 'ok'), row('due', 'renewal-due')] }, [...FAIL_ON_STATES]), []);
  });

  it('parses the flag: comma-separated or repeated, and refuses an unknown state naming the valid ones', () => {
    assert.deepEqual(parseFailOn('expired,expiring'), ['expired', 'expiring']);
    assert.deepEqual(parseFailOn(['undelivered', 'expired, undelivered']), ['undelivered', 'expired']);
    assert.throws(
      () => parseFailOn('expried'),
      /--fail-on 'expried' is not a state it knows: use expired, expiring, unreadable, undelivered, not-yet-valid/,
    );
    assert.throws(() => parseFailOn(''), /--fail-on needs at least one state/);
  });
});

describe('test-alert', () => {
  it('refuses a bad note before it starts anything', async () => {
    const untouched = new Proxy({}, { get: () => assert.fail('the client was used') }) as unknown as Client;
    await assert.rejects(sendTestAlert(untouched, { note: 'x'.repeat(201) }), /--note: .*200/);
    await assert.rejects(sendTestAlert(untouched, { note: 'two\nlines' }), /--note: must be one line/);
  });
});
