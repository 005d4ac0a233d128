// credentialsTestAlert: `trustflow credentials test-alert`. One test alert (event `credential.test`,
// a unique alertId) through the sink of the worker that runs it, so the worker's own webhook URL and
// secret are what is tested; a short bounded retry (the policy table's alertDeliverTest), then the
// outcome as data: delivered or not, via webhook or log, signed, the webhook's host, the status or error.
import { ActivityFailure, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { AlertTestOutcome, TrustflowAlert } from '../../contracts/alert.js';
import {
  CREDENTIALS_TEST_ALERT,
  CredentialsTestAlertInputSchema,
  type CredentialsTestAlertInput,
} from './credentials-test-alert.contract.js';
import { searchAttributes } from '../../common/search-attributes.js';
import { activities } from '../activity-proxies.js';
import { rootApplicationFailure } from '../runtime/flow-status.js';
import { validateInput } from '../runtime/validate-input.js';

const { alertDeliverTest } = activities;

export async function credentialsTestAlert(raw: CredentialsTestAlertInput = {}): Promise<AlertTestOutcome> {
  upsertSearchAttributes([{ key: searchAttributes.flow, value: CREDENTIALS_TEST_ALERT }]);
  const input = validateInput(CredentialsTestAlertInputSchema, raw ?? {}, CREDENTIALS_TEST_ALERT);
  const createdAt = new Date().toISOString();
  const alert: TrustflowAlert = {
    // Unique per run (uuid4 is the workflow's deterministic one): a receiver that dedupes shows each test.
    alertId: `test/${uuid4()}`,
    event: 'credential.test',
    credentialId: 'test',
    kind: null,
    tier: 'test',
    notAfter: null,
    daysLeft: null,
    action: 'nothing to do: a test of the alert path (trustflow credentials test-alert)',
    certificate: null,
    labels: {},
    text: `[trustflow] test alert from ${workflowInfo().taskQueue} at ${createdAt}${input.note ? `: ${input.note}` : ''}. Nothing to do.`,
    createdAt,
  };
  try {
    return await alertDeliverTest(alert);
  } catch (err) {
    // Only when no attempt could report (the worker died on the last one): what Temporal says.
    if (!(err instanceof ActivityFailure)) throw err;
    return {
      alertId: alert.alertId,
      delivered: false,
      via: 'webhook',
      signed: false,
      host: null,
      status: null,
      error: rootApplicationFailure(err)?.message ?? err.cause?.message ?? err.message,
      attempts: 0,
    };
  }
}
