// The `credentials` group: apply an inventory, scan now, list, acknowledge (client/credentials.ts).
import type { CredentialStatus } from '../../contracts/credential-watch.js';
import { acknowledgeCredential, applyInventory, listCredentials, loadInventoryFile, scanCredentials } from '../credentials.js';
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
  options: { output: outputOption('table', ['table', 'json']), wide: wideOption },
  details: `Exit codes: 0 every credential was checked, 1 a watch is missing or a check failed, 2 wrong usage.`,
  async run(v) {
    const format = outputFormat(v.output, ['table', 'json'] as const);
    const shown = progress('credentials scan', undefined);
    const r = await shown.around(withClient((client) => scanCredentials(client)));
    if (format === 'json') console.log(JSON.stringify(r, null, 2));
    else {
      console.log(
        renderTable(
          ['id', 'state', 'notAfter', 'alerts sent'],
          r.checked.map((c) => [c.id, c.state, c.notAfter ?? '-', String(c.alertsSent)]),
          { wide: v.wide === true, shrink: [0] },
        ),
      );
      for (const id of r.missing) console.log(`${id}: no watch (apply the inventory again)`);
      for (const f of r.failed) console.log(`${f.id}: check failed: ${f.error}`);
    }
    return r.failed.length + r.missing.length > 0 ? 1 : 0;
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
    else
      console.log(
        renderTable(['id', 'kind', 'state', 'notAfter', 'daysLeft', 'nextAction'], all.map(row), { wide: v.wide === true, shrink: [5, 0] }),
      );
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

function row(s: CredentialStatus): string[] {
  return [s.id, s.kind, s.state, s.notAfter ? s.notAfter.slice(0, 10) : '-', s.daysLeft === null ? '-' : String(s.daysLeft), s.nextAction];
}

/** `trustflow credentials <name> ...` */
export const commands: Commands = { apply, scan, list, ack };
