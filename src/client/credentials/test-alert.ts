// `credentials test-alert`: one signed test alert through a worker's alert sink.
import type { Client } from '@temporalio/client';
import { temporalSettingsFromEnv } from '../../common/env.js';
import { InvalidInputError } from '../../common/errors.js';
import type { AlertTestOutcome } from '../../contracts/alert.js';
import { CredentialsTestAlertInputSchema } from '../../flows/credentials/credentials-test-alert.contract.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import { credentialsTestAlert } from '../../flows/index.js';
import { assertEncryptingClient } from '../flows.js';
import { assertWorkerPolling } from '../worker-check.js';

export interface TestAlertOptions {
  taskQueue?: string;
  /** Shown in the alert's text (one line, at most 200 characters). */
  note?: string;
}

/**
 * `trustflow credentials test-alert`: one signed test alert (event `credential.test`) through the sink
 * of a worker polling the task queue (its own webhook URL and secret), with a short retry; resolves
 * with the outcome, delivered or not (it throws only when the workflow cannot run).
 */
export async function sendTestAlert(client: Client, o: TestAlertOptions = {}): Promise<AlertTestOutcome> {
  // Checked here too, so a bad note starts nothing (the workflow would refuse it as InvalidInput).
  const input = CredentialsTestAlertInputSchema.safeParse(o.note !== undefined ? { note: o.note } : {});
  if (!input.success) throw new InvalidInputError(input.error.issues.map((i) => `--note: ${i.message}`).join('; '));
  assertEncryptingClient(client);
  const taskQueue = o.taskQueue ?? temporalSettingsFromEnv().taskQueue;
  await assertWorkerPolling(client, taskQueue);
  return client.workflow.execute(credentialsTestAlert, {
    taskQueue,
    workflowId: workflowIds.credentialsTestAlert(new Date()),
    args: [input.data],
  });
}
