// The real worker entry point (`npm run worker`) with each bad alert setting, against a running dev
// server (so nothing but the setting can stop it): it exits 1 at once with a plain message naming the
// variable and the fix, instead of starting and sending unsigned alerts or failing at the first alert.
// Unsigned delivery on purpose starts, and says so in its start-up log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startTestServer, TEST_CODEC_KEYS } from '../helpers/temporal.js';
import { runWorkerToExit, startWorkerProcess } from '../helpers/worker-process.js';

const GOOD_SECRET = '7d0c5e92b1f84a36c9e2d7b05a1f3c68';
let env: TestWorkflowEnvironment;
let common: Record<string, string>;

before(async () => {
  env = await startTestServer();
  common = {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: 'alert-settings-test',
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
    // Whatever the developer's shell has, each case sets exactly these.
    TRUSTFLOW_ALERT_WEBHOOK_URL: '',
    TRUSTFLOW_ALERT_WEBHOOK_SECRET: '',
    TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED: '',
    TRUSTFLOW_KPSIS_WEBHOOK_URL: '',
  };
});

after(async () => {
  await env?.teardown();
});

describe('the worker refuses to start with a bad alert setting', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'a webhook with an empty secret (what compose passes when .env lacks it)',
      { TRUSTFLOW_ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook' },
      /TRUSTFLOW_ALERT_WEBHOOK_SECRET is empty while TRUSTFLOW_ALERT_WEBHOOK_URL is set.*openssl rand -hex 32.*TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true/,
    ],
    [
      "the example value 'change-me'",
      { TRUSTFLOW_ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook', TRUSTFLOW_ALERT_WEBHOOK_SECRET: 'change-me' },
      /TRUSTFLOW_ALERT_WEBHOOK_SECRET is a placeholder/,
    ],
    [
      'a short secret',
      { TRUSTFLOW_ALERT_WEBHOOK_URL: 'https://alerts.example.com/hook', TRUSTFLOW_ALERT_WEBHOOK_SECRET: 'hunter2-hunter2' },
      /TRUSTFLOW_ALERT_WEBHOOK_SECRET is too short \(15 characters; at least 32\)/,
    ],
    [
      'a malformed URL',
      { TRUSTFLOW_ALERT_WEBHOOK_URL: 'alerts.example.com/hook', TRUSTFLOW_ALERT_WEBHOOK_SECRET: GOOD_SECRET },
      /TRUSTFLOW_ALERT_WEBHOOK_URL is not a URL/,
    ],
    [
      'a URL that is not http(s)',
      { TRUSTFLOW_ALERT_WEBHOOK_URL: 'ftp://alerts.example.com/hook', TRUSTFLOW_ALERT_WEBHOOK_SECRET: GOOD_SECRET },
      /TRUSTFLOW_ALERT_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'the deprecated TRUSTFLOW_KPSIS_WEBHOOK_URL without a secret',
      { TRUSTFLOW_KPSIS_WEBHOOK_URL: 'https://alerts.example.com/hook' },
      /TRUSTFLOW_ALERT_WEBHOOK_SECRET is empty while TRUSTFLOW_KPSIS_WEBHOOK_URL is set/,
    ],
  ];
  for (const [what, settings, message] of cases) {
    it(`${what}: exit 1, naming the variable`, async () => {
      const { code, output } = await runWorkerToExit({ ...common, ...settings }, 20_000);
      assert.equal(code, 1, `exit code (null: it did not exit, it started):\n${output}`);
      assert.match(output, /^trustflow worker: alert settings: /m, output);
      assert.match(output, message, output);
      assert.doesNotMatch(output, /polling task queue/, 'it never polled');
      for (const value of Object.values(settings)) if (value.length > 12) assert.ok(!output.includes(value), 'no value is quoted back');
    });
  }

  it('unsigned on purpose (TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true): starts, and says so at start', async () => {
    const w = await startWorkerProcess({
      ...common,
      TRUSTFLOW_ALERT_WEBHOOK_URL: 'https://alerts.example.com/hooks/secret-path',
      TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED: 'true',
    });
    try {
      assert.match(w.output(), /alerts are sent UNSIGNED \(TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true\)/);
      assert.match(w.output(), /webhook https:\/\/alerts\.example\.com \(unsigned\)/);
      assert.doesNotMatch(w.output(), /secret-path/, 'the URL path (often a token) is not logged');
    } finally {
      await w.kill('SIGTERM');
    }
  });
});
