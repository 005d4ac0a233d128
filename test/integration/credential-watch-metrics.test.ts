// trustflow_credential_seconds_left on a real worker process's /metrics (`npm run worker` with
// TRUSTFLOW_METRICS_ADDRESS): every checked credential has a series (beside the SDK's temporal_*
// ones); a credential removed from the inventory leaves it at the next check on the worker that runs
// it, and a worker that runs no further check (another worker of the pool, or none at all) drops it
// after three check intervals.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { applyInventory, loadInventoryFile, scanCredentials } from '../../src/client/credentials.js';
import { credentialGauge } from '../../src/common/policies.js';
import { startCrashTestEnv, type CrashTestEnv } from '../helpers/crash-env.js';
import { freePort } from '../helpers/ports.js';

const taskQueue = 'credentials-metrics-test';
let t: CrashTestEnv;
let client: Client;
let tmp: string;
let metricsUrl: string;
let n = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scrape = async () => {
  const res = await fetch(metricsUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
};
/** The value of a credential's series, or undefined when the worker does not export it. */
const secondsLeft = (text: string, id: string) => {
  const m = new RegExp(`^trustflow_credential_seconds_left\\{credential="${id}",kind="certificate"\\} (-?\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

async function certificateFile(validFor: string): Promise<string> {
  const res = await fetch(t.sandbox.manifest.credentials.issueUrl, { method: 'POST', body: JSON.stringify({ validFor }) });
  const body = (await res.json()) as { certificate: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  const path = join(tmp, `cert-${++n}.pem`);
  await writeFile(path, body.certificate);
  return path;
}

async function apply(credentials: unknown[]): Promise<void> {
  const path = join(tmp, `inventory-${++n}.json`);
  // The shortest interval the inventory allows: series are kept for three of them (30 s).
  await writeFile(path, JSON.stringify({ version: 1, checks: { every: '10s', jitter: '1s' }, credentials }));
  await applyInventory(client, await loadInventoryFile(path), { taskQueue });
}

before(async () => {
  t = await startCrashTestEnv(taskQueue);
  client = t.env.client;
  tmp = await mkdtemp(join(tmpdir(), 'trustflow-credential-metrics-'));
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await t.startWorker({ TRUSTFLOW_METRICS_ADDRESS: `127.0.0.1:${port}` });
});

after(async () => {
  await t?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('trustflow_credential_seconds_left', () => {
  it(
    'is exported per checked credential; a removed one leaves /metrics at the next check, then every other on expiry',
    { timeout: 180_000 },
    async () => {
      const a = await certificateFile('1h');
      const b = await certificateFile('2h');
      await apply([
        { id: 'metric-a', kind: 'certificate', file: a },
        { id: 'metric-b', kind: 'certificate', file: b },
      ]);
      await scanCredentials(client, { taskQueue });
      let text = await scrape();
      assert.match(text, /^temporal_/m, "the SDK's series are still served");
      const left = secondsLeft(text, 'metric-a');
      assert.ok(left !== undefined && left > 3400 && left <= 3600, `metric-a: ${left}`);
      assert.ok((secondsLeft(text, 'metric-b') ?? 0) > 7000);

      // metric-a removed: the next check (on this worker) drops its series at once.
      await apply([{ id: 'metric-b', kind: 'certificate', file: b }]);
      await scanCredentials(client, { taskQueue });
      text = await scrape();
      assert.equal(secondsLeft(text, 'metric-a'), undefined, 'a retired credential is no longer exported');
      assert.ok(secondsLeft(text, 'metric-b') !== undefined);

      // Everything removed: no check runs any more, so nothing refreshes metric-b: it expires.
      await apply([]);
      const keepMs = credentialGauge.keptForChecks * 10_000;
      const deadline = Date.now() + keepMs + 30_000;
      while (secondsLeft(await scrape(), 'metric-b') !== undefined) {
        assert.ok(Date.now() < deadline, `metric-b still exported ${keepMs + 30_000} ms after its last check`);
        await sleep(1000);
      }
      assert.doesNotMatch(await scrape(), /trustflow_credential_seconds_left\{/);
    },
  );
});
