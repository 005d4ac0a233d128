// credentialWatch: the durable state of one credential of the inventory (id workflowIds.credentialWatch).
// It lives as long as the entry does and does nothing on its own: `apply` starts it with its first
// `check` (update-with-start), the schedule's credentialsCheck (and `trustflow credentials scan`) send
// `check`, `apply` sends `reconfigure` / `retire`, an operator `acknowledge`. A check:
//   read the certificates (files on the worker; a Cipher container through cipherInspectKeyStore)
//   → a new leaf closes the old episode with one `renewed` notice and starts a fresh ladder
//   → per certificate, the most urgent tier reached and not yet sent (30d … 1d, expired) is alerted
//   → at the leaf's renewal point: KPSIS with `renewal` starts exactly one kpsisIssueCertificate
//     (id per attempt, a child that outlives the watch), everything else escalates once
//   → a renewal's certificate arrives: the credential moves to the new artifacts (and `current` link).
// An alert is marked sent only once delivered; one that could not be delivered is sent again at the
// next check under the same alertId and body (the status counts them, with the last delivery error).
// Checks run one at a time. The state is carried across continue-as-new (before the history grows
// large, after running handlers finish), and across removal: a retired watch returns its state, and
// the watch a later `apply` starts for the same id takes it over (`previous`), so the same certificate
// is not alerted again and an `ack` holds until the certificate changes.
//
// This file is the wiring: handlers, the run loop, continue-as-new. Beside it, as in the Temporal
// samples' safe-message-handlers: credential-watch.state.ts (the state and where a run starts from),
// .check.ts (a check), .alerts.ts (alerts and their delivery), .status.ts (the query and search attributes).
import {
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  allHandlersFinished,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ACKNOWLEDGE_UPDATE,
  CHECK_UPDATE,
  CREDENTIAL_STATUS_QUERY,
  RECONFIGURE_UPDATE,
  RETIRE_UPDATE,
  type AcknowledgeRequest,
  type CredentialConfig,
  type CredentialStatus,
} from './credential-watch.contract.js';
import { initialState, type WatchState, type CredentialWatchInput, type CredentialWatchResult } from './credential-watch.state.js';
import { check } from './credential-watch.check.js';
import { statusOf, publish } from './credential-watch.status.js';

export const checkUpdate = defineUpdate<CredentialStatus, []>(CHECK_UPDATE);
export const acknowledgeUpdate = defineUpdate<CredentialStatus, [AcknowledgeRequest]>(ACKNOWLEDGE_UPDATE);
export const reconfigureUpdate = defineUpdate<CredentialStatus, [CredentialConfig]>(RECONFIGURE_UPDATE);
export const retireUpdate = defineUpdate<CredentialStatus, []>(RETIRE_UPDATE);
export const credentialStatusQuery = defineQuery<CredentialStatus>(CREDENTIAL_STATUS_QUERY);

export async function credentialWatch(input: CredentialWatchInput): Promise<CredentialWatchResult> {
  const s = initialState(input);
  const historyLimit = input.historyLimit ?? 2000;
  let checking = false;

  /** One check at a time: a repeated or duplicated check waits, then finds its alerts already sent. */
  const serially = async <T>(fn: () => Promise<T>): Promise<T> => {
    await condition(() => !checking);
    checking = true;
    try {
      return await fn();
    } finally {
      checking = false;
    }
  };

  setHandler(credentialStatusQuery, () => statusOf(s));
  setHandler(checkUpdate, () => serially(() => check(s)), { validator: () => assertNotRetired(s) });
  setHandler(acknowledgeUpdate, (req) => acknowledge(s, req), { validator: (_req) => assertNotRetired(s) });
  setHandler(reconfigureUpdate, (config) => serially(() => reconfigure(s, config)), {
    validator: (config) => {
      assertNotRetired(s);
      if (config?.entry?.id !== s.config.entry.id) throw new Error(`this watch is ${s.config.entry.id}, not ${String(config?.entry?.id)}`);
    },
  });
  setHandler(retireUpdate, () =>
    serially(async () => {
      s.retired = true;
      publish(s);
      return statusOf(s);
    }),
  );

  publish(s);

  await condition(() => s.retired || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit);
  await condition(allHandlersFinished);
  // The whole state goes with the result: apply hands it to the watch it starts if the entry comes back.
  if (s.retired) return { ...statusOf(s), carry: s };
  return continueAsNew<typeof credentialWatch>({ config: s.config, state: s, historyLimit });
}

function assertNotRetired(s: WatchState): void {
  if (s.retired) throw new Error(`credential ${s.config.entry.id} was retired (removed from the inventory)`);
}

async function reconfigure(s: WatchState, config: CredentialConfig): Promise<CredentialStatus> {
  const before = s.config.entry;
  s.config = config;
  // The operator pointed the entry at other artifacts: they win over what a renewal installed.
  if (
    config.entry.kind === 'kpsis-certificate' &&
    (before.kind !== 'kpsis-certificate' || before.artifactsDir !== config.entry.artifactsDir)
  )
    s.artifactsDir = config.entry.artifactsDir;
  return check(s);
}

function acknowledge(s: WatchState, req: AcknowledgeRequest): CredentialStatus {
  s.acknowledged = { at: new Date().toISOString(), note: req?.note ?? null, leafId: s.leafId };
  log.info('credential acknowledged: alerts silenced until its certificate changes', { credentialId: s.config.entry.id });
  publish(s);
  return statusOf(s);
}
