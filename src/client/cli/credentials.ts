// The `credentials` group: apply an inventory, scan now, list, acknowledge, send a test alert
// (client/credentials.ts).
import { InvalidInputError } from '../../common/errors.js';
import type { AlertDeliveryError, CredentialStatus } from '../../flows/credentials/credential-watch.contract.js';
import {
  acknowledgeCredential,
  applyInventory,
  credentialsInStates,
  FAIL_ON_STATES,
  listCredentials,
  loadInventoryFile,
  parseFailOn,
  scanCredentials,
  sendTestAlert,
  type FailOnState,
} from '../credentials.js';
import { defineCommand, outputFormat, outputOption, UsageError, wideOption } from './command.js';
import { progress, renderTable } from './io.js';
import { withClient, type Commands } from './shared.js';

const apply = defineCommand({
  summary: "install an inventory's watches and schedules (idempotent)",
  positionals: { names: ['FILE'], required: 1 },
  options: {
    'dry-run': { type: 'boolean', help: 'check the file on the worker and say what would change; change nothing' },
    output: outputOption('table', ['table', 'json']),
  },
  details: `FILE is YAML or JSON. Every entry is checked on the worker first (files readable, passwords right): a
problem anywhere changes nothing. Progress goes to stderr; the report to stdout.`,
  async run(v, [file]) {
    const format = outputFormat(v.output, ['table', 'json'] as const);
    const inventory = await loadInventoryFile(file!);
    const shown = progress('credentials apply', inventory.credentials.length);
    const report = await shown.around(
      withClient((client) =>
        applyInventory(client, inventory, { dryRun: v['dry-run'] === true, onProgress: (done) => shown.update(done) }),
      ),
    );
    if (format === 'json') {
      console.log(JSON.stringify(report, null, 2));
      return 0;
    }
    const would = report.dryRun ? 'would be ' : '';
    for (const [label, ids] of [
      ['created', report.created],
      ['updated', report.updated],
      ['retired', report.retired],
      ['unchanged', report.unchanged],
    ] as const)
      for (const id of ids) console.log(`credential ${id}: ${label === 'unchanged' ? label : would + label}`);
    for (const s of report.schedules) console.log(`schedule ${s.id}: ${s.change === 'unchanged' ? s.change : would + s.change}`);
    const changed =
      report.created.length +
      report.updated.length +
      report.retired.length +
      report.schedules.filter((s) => s.change !== 'unchanged').length;
    console.log(
      changed === 0
        ? 'nothing to change'
        : `${changed} change${changed === 1 ? '' : 's'}${report.dryRun ? ' (dry run: nothing changed)' : ''}`,
    );
    return 0;
  },
});

const scan = defineCommand({
  summary: 'check every applied credential now and wait for the verdicts',
  options: {
    'fail-on': {
      type: 'string',
      value: 'STATES',
      help: `exit 1 when a credential is in one of these (comma-separated): ${FAIL_ON_STATES.join(', ')}`,
    },
    output: outputOption('table', ['table', 'json']),
    wide: wideOption,
  },
  details: `Exit codes: 0 every credential was checked (and, with --fail-on, none is in a named state); 1 a watch
is missing, a check failed, or a credential is in a state --fail-on names; 2 wrong usage. For cron and
monitoring: trustflow credentials scan --fail-on expired,unreadable,undelivered.`,
  async run(v) {
    const format = outputFormat(v.output, ['table', 'json'] as const);
    let failOn: FailOnState[] = [];
    if (v['fail-on'] !== undefined)
      try {
        failOn = parseFailOn(v['fail-on']);
      } catch (err) {
        if (err instanceof InvalidInputError) throw new UsageError(err.message);
        throw err;
      }
    const shown = progress('credentials scan', undefined);
    const r = await shown.around(withClient((client) => scanCredentials(client)));
    const matched = credentialsInStates(r, failOn);
    if (format === 'json') console.log(JSON.stringify(failOn.length ? { ...r, failOn, matched } : r, null, 2));
    else {
      console.log(
        renderTable(
          ['id', 'state', 'notAfter', 'alerts sent', 'undelivered'],
          r.checked.map((c) => [c.id, c.state, c.notAfter ?? '-', String(c.alertsSent), String(c.undelivered)]),
          { wide: v.wide === true, shrink: [0] },
        ),
      );
      for (const c of r.checked) {
        if (c.lastError) console.log(`${c.id}: unreadable: ${c.lastError}`);
        const d = deliveryLine(c.undelivered, c.lastDeliveryError);
        if (d) console.log(`${c.id}: ${d}`);
      }
      for (const id of r.missing) console.log(`${id}: no watch (apply the inventory again)`);
      for (const f of r.failed) console.log(`${f.id}: check failed: ${f.error}`);
      for (const m of matched) console.log(`${m.id}: ${m.states.join(', ')} (named by --fail-on)`);
    }
    return r.failed.length + r.missing.length + matched.length > 0 ? 1 : 0;
  },
});

const list = defineCommand({
  summary: 'every applied credential: state, expiry, days left, what to do next',
  options: { output: outputOption('table', ['table', 'json']), wide: wideOption },
  details: 'The table fits 100 columns (long cells end in …); --wide or -o json show everything.',
  async run(v) {
    const format = outputFormat(v.output, ['table', 'json'] as const);
    const all = await withClient((client) => listCredentials(client));
    if (format === 'json') console.log(JSON.stringify(all, null, 2));
    else {
      console.log(
        renderTable(['id', 'kind', 'state', 'notAfter', 'daysLeft', 'undelivered', 'nextAction'], all.map(row), {
          wide: v.wide === true,
          shrink: [6, 0],
        }),
      );
      for (const s of all) {
        const d = deliveryLine(s.undelivered, s.lastDeliveryError);
        if (d) console.log(`${s.id}: ${d}`);
      }
    }
    return 0;
  },
});

const ack = defineCommand({
  summary: "silence a credential's alerts until its certificate changes",
  positionals: { names: ['ID'], required: 1 },
  options: { note: { type: 'string', value: 'TEXT', help: 'why (shown in credentials list -o json)' } },
  async run(v, [id]) {
    if (!id) throw new UsageError('credentials ack needs the credential ID');
    const s = await withClient((client) => acknowledgeCredential(client, id, v.note));
    console.log(
      `credential ${s.id}: acknowledged; no alerts until its certificate changes (state ${s.state}, notAfter ${s.notAfter ?? '-'})`,
    );
    return 0;
  },
});

const testAlert = defineCommand({
  summary: "send one signed test alert through the worker's alert sink and say whether it arrived",
  options: {
    note: { type: 'string', value: 'TEXT', help: "shown in the alert's text (one line, at most 200 characters)" },
    output: outputOption('table', ['table', 'json']),
  },
  details: `A worker polling TRUSTFLOW_TASK_QUEUE sends it (event credential.test) with its own webhook URL and
secret, retrying briefly. Exit codes: 0 delivered (the webhook answered 2xx, or the worker has no
webhook and wrote it to its log), 1 not delivered or no worker polls the queue, 2 wrong usage.`,
  async run(v) {
    const format = outputFormat(v.output, ['table', 'json'] as const);
    const shown = progress('credentials test-alert', undefined);
    const r = await shown
      .around(withClient((client) => sendTestAlert(client, v.note !== undefined ? { note: v.note } : {})))
      .catch((err: unknown) => {
        if (err instanceof InvalidInputError) throw new UsageError(err.message);
        throw err;
      });
    if (format === 'json') console.log(JSON.stringify(r, null, 2));
    else {
      const where = r.via === 'webhook' ? `the webhook at ${r.host}` : "the worker's log (no TRUSTFLOW_ALERT_WEBHOOK_URL)";
      const tries = `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`;
      console.log(
        r.delivered
          ? `test alert ${r.alertId}: delivered to ${where}${r.status !== null ? ` (HTTP ${r.status})` : ''}, ${r.signed ? 'signed' : 'UNSIGNED'}, ${tries}`
          : `test alert ${r.alertId}: NOT delivered to ${where}, ${tries}: ${r.error ?? `HTTP ${r.status}`}`,
      );
      if (r.delivered && !r.signed && r.via === 'webhook')
        console.log('the worker sends alerts unsigned (TRUSTFLOW_ALERT_WEBHOOK_UNSIGNED=true): receivers cannot tell them from forgeries');
    }
    return r.delivered ? 0 : 1;
  },
});

function row(s: CredentialStatus): string[] {
  return [
    s.id,
    s.kind,
    s.state,
    s.notAfter ? s.notAfter.slice(0, 10) : '-',
    s.daysLeft === null ? '-' : String(s.daysLeft),
    String(s.undelivered),
    s.nextAction,
  ];
}

/** A line under the table for alerts the sink has not taken (or a past delivery error): undefined when all is well. */
function deliveryLine(undelivered: number, last: AlertDeliveryError | null): string | undefined {
  if (undelivered > 0)
    return `${undelivered} alert${undelivered === 1 ? '' : 's'} not delivered${last ? `; last delivery error at ${last.at}: ${last.message}` : ''} (trustflow credentials test-alert checks the sink)`;
  return undefined;
}

/** `trustflow credentials <name> ...` */
export const commands: Commands = { apply, scan, list, ack, 'test-alert': testAlert };
