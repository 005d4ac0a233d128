// The policy table: one entry per activity, each HTTP timeout below its activity's start-to-close
// timeout (so a hung provider reaches the activity's own "outcome unknown" handling first).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { createActivities } from '../../src/flows/activities.js';
import { activityPolicies, httpTimeoutMs, type ActivityPolicy } from '../../src/common/policies.js';

/** Activities that call no provider over HTTP: local crypto, files, our own Temporal namespace. */
const LOCAL = new Set([
  'mptSignChallenge',
  'kiscRecordedVerifications',
  'kpsisCheckPasswords',
  'kpsisStoreCertificate',
  'credentialInspect',
  'credentialPreflight',
  'credentialsRequestChecks',
  'credentialRenewalStatus',
  'credentialPromoteArtifacts',
  'personSignatureCheck',
  'personSigningPreflight',
]);
const table = activityPolicies as Record<string, ActivityPolicy>;

describe('the policy table', () => {
  it('has exactly one entry per registered activity', () => {
    assert.deepEqual(Object.keys(table).sort(), Object.keys(createActivities()).sort());
  });

  it('gives every provider-calling activity an HTTP timeout below its start-to-close timeout', () => {
    for (const [name, policy] of Object.entries(table)) {
      if (LOCAL.has(name)) {
        assert.equal(policy.httpTimeout, undefined, `${name} is local: no HTTP timeout`);
        continue;
      }
      assert.ok(policy.httpTimeout, `${name} calls a provider: it needs an httpTimeout`);
      const http = msToNumber(policy.httpTimeout);
      const activity = msToNumber(policy.startToCloseTimeout!);
      assert.ok(
        http < activity,
        `${name}: httpTimeout ${policy.httpTimeout} must be below startToCloseTimeout ${policy.startToCloseTimeout}`,
      );
      assert.equal(httpTimeoutMs(name), http);
    }
  });

  it('says which activity lacks an HTTP timeout instead of using a default', () => {
    assert.throws(() => httpTimeoutMs('mptSignChallenge'), /no httpTimeout for activity mptSignChallenge in the policy table/);
  });

  it('bounds every retry policy', () => {
    for (const [name, policy] of Object.entries(table)) assert.ok((policy.retry?.maximumAttempts ?? 0) >= 1, `${name}: maximumAttempts`);
  });
});
