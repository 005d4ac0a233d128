// The worker's alert settings, read once at start (src/common/alert-settings.ts): a webhook that would
// send unsigned or forgeable alerts, or a URL that cannot work, refuses the start naming the variable;
// unsigned delivery only on purpose. And the credential gauges' expiry (src/worker/credential-gauges.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AlertSettingsError, alertSettingsFromEnv, MIN_ALERT_SECRET_LENGTH } from '../../src/common/alert-settings.js';
import { CredentialGauges } from '../../src/worker/credential-gauges.js';
import { repoRoot } from '../helpers/paths.js';

const URL_VAR = 'TRUSTFLOW_ALERT_WEBHOOK_URL';
const SECRET_VAR = 'TRUSTFLOW_ALERT_WEBHOOK_SECRET';
const GOOD_SECRET = 'f3a9c1e07b5d4286a1c9e3f05b7d2a4c'; // 32 random hex characters
const HOOK = 'https://alerts.example.com/hooks/T0123/secret-path-token';

/** The problems of a refused environment (fails the test when it is accepted). */
function refused(env: NodeJS.ProcessEnv): string[] {
  try {
    alertSettingsFromEnv(env);
  } catch (err) {
    assert.ok(err instanceof AlertSettingsError, String(err));
    return err.problems;
  }
  assert.fail(`accepted: ${JSON.stringify(Object.keys(env))}`);
}

describe('alert settings', () => {
  it('a webhook with a good secret: signed, and only the origin is ever shown', () => {
    const s = alertSettingsFromEnv({ [URL_VAR]: HOOK, [SECRET_VAR]: GOOD_SECRET });
    assert.deepEqual(s.webhook, { url: HOOK, secret: GOOD_SECRET, origin: 'https://alerts.example.com' });
    assert.equal(s.summary, 'webhook https://alerts.example.com (signed) and the log');
    assert.deepEqual(s.warnings, []);
    assert.doesNotMatch(s.summary, /secret-path-token|T0123/, 'the path of a webhook URL can be its token');
  });

  it('no webhook: the log only; an unset or empty secret is fine then', () => {
    for (const env of [{}, { [SECRET_VAR]: '' }, { [URL_VAR]: '', [SECRET_VAR]: '' }]) {
      const s = alertSettingsFromEnv(env);
      assert.equal(s.webhook, null);
      assert.match(s.summary, /^log only/);
    }
  });

  it('refuses an empty secret with a webhook set (what compose passes when .env lacks it), naming the variable and the fix', () => {
    for (const secret of [undefined, '']) {
      const problems = refused({ [URL_VAR]: HOOK, ...(secret === undefined ? {} : { [SECRET_VAR]: secret }) });
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^TRUSTFLOW_ALERT_WEBHOOK_SECRET is empty while TRUSTFLOW_ALERT_WEBHOOK_URL is set/);
      assert.match(problems[0]!, /openssl rand -hex 32/);
      assert.match(problems[0]!, /TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true/);
    }
  });

  it("refuses the docs' and example files' placeholders, a short secret, a patterned one and stray white space, never quoting it", () => {
    const example = /^TRUSTFLOW_ALERT_WEBHOOK_SECRET=(.*)$/m.exec(
      readFileSync(join(repoRoot, 'deploy', 'env', 'compose.env.example'), 'utf8'),
    )?.[1];
    assert.ok(example, 'deploy/env/compose.env.example sets an example secret');
    const cases: [string, RegExp][] = [
      [example, /is a placeholder/],
      ['change-me', /is a placeholder/],
      ['CHANGE-ME-to-a-long-random-password', /is a placeholder/],
      [readFileSync(join(repoRoot, 'secrets', 'postgres_password.example'), 'utf8').trim(), /is a placeholder/],
      ['s3cr3t-but-short', /is too short \(16 characters; at least 32\)/],
      ['a'.repeat(40), /is not random/],
      [` ${GOOD_SECRET}`, /white space/],
      [`${GOOD_SECRET}\n`, /white space/],
    ];
    for (const [secret, why] of cases) {
      const problems = refused({ [URL_VAR]: HOOK, [SECRET_VAR]: secret });
      assert.match(problems.join('\n'), why, JSON.stringify(secret));
      assert.match(problems[0]!, /^TRUSTFLOW_ALERT_WEBHOOK_SECRET /);
      if (secret.trim().length >= 8) assert.ok(!problems.join('\n').includes(secret.trim()), 'the value is not quoted back');
    }
    // Without a webhook a bad secret is still refused: it is the sign of an unfinished setup.
    assert.match(refused({ [SECRET_VAR]: 'change-me' })[0]!, /placeholder/);
    assert.equal(MIN_ALERT_SECRET_LENGTH, 32);
    assert.ok(alertSettingsFromEnv({ [URL_VAR]: HOOK, [SECRET_VAR]: GOOD_SECRET.slice(0, 32) }).webhook);
  });

  it('refuses a URL that does not parse or is not http/https, without quoting it', () => {
    const cases: [string, RegExp][] = [
      ['alerts.example.com/hook', /^TRUSTFLOW_ALERT_WEBHOOK_URL is not a URL/],
      ['not a url', /^TRUSTFLOW_ALERT_WEBHOOK_URL is not a URL/],
      ['ftp://alerts.example.com/hook', /^TRUSTFLOW_ALERT_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL \(it starts with ftp:\/\/\)/],
      ['mailto:ops@example.com', /^TRUSTFLOW_ALERT_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL/],
    ];
    for (const [url, why] of cases) {
      const problems = refused({ [URL_VAR]: url, [SECRET_VAR]: GOOD_SECRET });
      assert.match(problems[0]!, why, url);
      assert.ok(!problems[0]!.includes(url), 'the URL is not quoted back (it may carry a token)');
    }
    // http is allowed (a relay inside the operator's network); the alert carries no secret.
    assert.equal(
      alertSettingsFromEnv({ [URL_VAR]: 'http://10.0.0.5:8080/hook', [SECRET_VAR]: GOOD_SECRET }).webhook?.origin,
      'http://10.0.0.5:8080',
    );
  });

  it('sends unsigned only with TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true, said as a warning; never both, never a vague value', () => {
    const s = alertSettingsFromEnv({ [URL_VAR]: HOOK, TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED: 'true' });
    assert.equal(s.webhook?.secret, null);
    assert.match(s.summary, /\(unsigned\)/);
    assert.match(s.warnings.join('\n'), /alerts are sent UNSIGNED \(TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true\)/);
    assert.match(
      refused({ [URL_VAR]: HOOK, [SECRET_VAR]: GOOD_SECRET, TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED: 'true' })[0]!,
      /TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true and TRUSTFLOW_ALERT_WEBHOOK_SECRET are both set/,
    );
    assert.match(
      refused({ [URL_VAR]: HOOK, TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED: 'maybe' })[0]!,
      /^TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED must be true or false/,
    );
  });

  it('the deprecated TRUSTFLOW_KPSIS_WEBHOOK_URL goes through the same checks, with a warning', () => {
    const s = alertSettingsFromEnv({ TRUSTFLOW_KPSIS_WEBHOOK_URL: HOOK, [SECRET_VAR]: GOOD_SECRET });
    assert.equal(s.webhook?.url, HOOK);
    assert.match(s.warnings[0]!, /TRUSTFLOW_KPSIS_WEBHOOK_URL is deprecated: set TRUSTFLOW_ALERT_WEBHOOK_URL/);
    assert.match(refused({ TRUSTFLOW_KPSIS_WEBHOOK_URL: HOOK })[0]!, /is empty while TRUSTFLOW_KPSIS_WEBHOOK_URL is set/);
    assert.match(
      refused({ TRUSTFLOW_KPSIS_WEBHOOK_URL: 'hooks.example.com', [SECRET_VAR]: GOOD_SECRET })[0]!,
      /^TRUSTFLOW_KPSIS_WEBHOOK_URL is not a URL/,
    );
    assert.match(refused({ TRUSTFLOW_KPSIS_WEBHOOK_URL: HOOK, [SECRET_VAR]: 'change-me' })[0]!, /placeholder/);
  });

  it('lists every problem at once', () => {
    const problems = refused({ [URL_VAR]: 'ftp://x', [SECRET_VAR]: 'short', TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED: 'perhaps' });
    assert.equal(problems.length, 3, problems.join('\n'));
  });
});

describe('credential gauges', () => {
  it('computes seconds left at each scrape, drops a series not set again within its keep time, and what a check no longer names', () => {
    let now = Date.parse('2027-01-01T00:00:00Z');
    const g = new CredentialGauges(() => now);
    g.set({ credential: 'a', kind: 'pkcs12' }, now + 3_600_000, 60_000);
    g.set({ credential: 'b', kind: 'certificate' }, now - 5_000, 600_000);
    assert.equal(
      g.exposition(),
      [
        '# HELP trustflow_credential_seconds_left Seconds until a credential expires',
        '# TYPE trustflow_credential_seconds_left gauge',
        'trustflow_credential_seconds_left{credential="a",kind="pkcs12"} 3600',
        'trustflow_credential_seconds_left{credential="b",kind="certificate"} -5',
        '',
      ].join('\n'),
    );
    now += 60_000;
    assert.doesNotMatch(g.exposition(), /credential="a"/, 'not set again within 60 s: gone');
    assert.match(g.exposition(), /credential="b",kind="certificate"\} -65\n/, 'the value follows the clock between checks');
    g.set({ credential: 'c', kind: 'mtls' }, now + 1000, 600_000);
    g.retain(['c']);
    assert.doesNotMatch(g.exposition(), /credential="b"/, 'no longer applied: gone at once');
    assert.match(g.exposition(), /credential="c"/);
    g.retain([]);
    assert.equal(g.exposition(), '', 'nothing to export: no lines at all');
  });
});
