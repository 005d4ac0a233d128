// `trustflow signing-link`: a fresh signing link for a flow that waits for a person (a person signer),
// for an operator who sends it by hand: without a webhook, or when the person lost the first one. The
// same sealed token the worker puts in its alerts (client/signing-links.ts), under the same
// TRUSTFLOW_SIGNING_LINK_KEY, valid until the request's deadline. The link alone goes to stdout, so
// `$(trustflow signing-link …)` and `| head` get it as it is; it is a secret for the person only.
import { InvalidInputError } from '../../common/errors.js';
import { SIGNING_ENV, SigningSettingsError, signingSettingsFromEnv, type SigningPageSettings } from '../../common/signing-page-settings.js';
import { checkRunningWorkflow } from '../running-workflow.js';
import { signingLinkFor } from '../signing-links.js';
import { defineCommand, outputFormat, required, UsageError } from './command.js';
import { withClient, type Commands } from './shared.js';

/** Both variables, checked as the worker checks them: usage errors (exit 2) naming the variable. */
export function signingLinkSettings(env: NodeJS.ProcessEnv = process.env): SigningPageSettings {
  const missing = [SIGNING_ENV.pageUrl, SIGNING_ENV.linkKey].filter((name) => !(env[name] ?? '').trim());
  if (missing.length > 0)
    throw new UsageError(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: a link is <${SIGNING_ENV.pageUrl}>/sign#<token>, ` +
        `sealed with ${SIGNING_ENV.linkKey}; set both to the workers' values`,
    );
  try {
    return signingSettingsFromEnv(env)!;
  } catch (err) {
    if (err instanceof SigningSettingsError) throw new UsageError(err.message);
    throw err;
  }
}

const command = defineCommand({
  summary: 'a fresh signing link for a flow that waits for a person to sign (a person signer)',
  options: {
    'workflow-id': { type: 'string', value: 'ID', help: '(required) the waiting flow' },
    json: { type: 'boolean', help: 'one JSON document on stdout: {link, role, requestedAt, expiresAt, dataSha256}' },
    output: { type: 'string', short: 'o', value: 'text|json', default: 'text', help: 'output format (default text: the link alone)' },
  },
  details: `Prints <page URL>/sign#<token> for the flow's current request, valid until its deadline and used
up once a signature is accepted: send it to the person (it is a secret for them; never put it in a
log or a ticket). The link alone goes to stdout, so LINK=$(trustflow signing-link --workflow-id ID)
works. Any number of links may be made; each one opens the same request.
Environment (the workers' values):
  ${SIGNING_ENV.pageUrl}   (required) where persons open links
  ${SIGNING_ENV.linkKey}   (required) the secret links are sealed with
  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE
Example: trustflow signing-link --workflow-id mpt-sign-in-seller-1042
Exit codes: 0 printed; 1 no such flow, it does not wait for a person (any more), or no worker
runs it; 2 wrong usage (a variable missing).`,
  async run(v) {
    const workflowId = required(v['workflow-id'], 'workflow-id');
    const format = v.json === true ? 'json' : outputFormat(v.output, ['text', 'json'] as const);
    const settings = signingLinkSettings();
    const outcome = await withClient(async (client) => {
      // The flow answers through a worker: without one on its queue the query would wait for ever.
      const w = await checkRunningWorkflow(client, workflowId);
      if (!w.running && w.description)
        throw new InvalidInputError(
          `workflow ${workflowId} is ${w.description.status.name.toLowerCase()}: it no longer waits for a signature, no link to send`,
        );
      if (w.running && w.workerProblem !== undefined)
        throw new Error(
          `workflow ${workflowId} runs on task queue '${w.description.taskQueue}', where ${w.workerProblem}: start a worker there, then ask again`,
        );
      return signingLinkFor(client, workflowId, settings);
    });
    console.log(format === 'json' ? JSON.stringify(outcome, null, 2) : outcome.link);
    return 0;
  },
});

/** Registered in main.ts as a command of its own (not a group), next to signing-server. */
export const commands: Commands = { 'signing-link': command };
