// The `credentials` group: apply an inventory, scan now, list, acknowledge (client/credentials.ts).
import { parseArgs } from 'node:util';
import type { CredentialStatus } from '../../contracts/credential-watch.js';
import { acknowledgeCredential, applyInventory, listCredentials, loadInventoryFile, scanCredentials } from '../credentials.js';
import { UsageError, withClient, type Commands } from './shared.js';

async function apply(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false } } });
  const file = positionals[0];
  if (!file) throw new UsageError('credentials apply needs the inventory FILE (YAML or JSON)');
  const inventory = await loadInventoryFile(file);
  const report = await withClient((client) => applyInventory(client, inventory, { dryRun: values['dry-run'] }));
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
    report.created.length + report.updated.length + report.retired.length + report.schedules.filter((s) => s.change !== 'unchanged').length;
  console.log(
    changed === 0
      ? 'nothing to change'
      : `${changed} change${changed === 1 ? '' : 's'}${report.dryRun ? ' (dry run: nothing changed)' : ''}`,
  );
  return 0;
}

async function scan(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o', default: 'table' } } });
  const r = await withClient((client) => scanCredentials(client));
  if (values.output === 'json') console.log(JSON.stringify(r, null, 2));
  else {
    printTable(
      ['id', 'state', 'notAfter', 'alerts sent'],
      r.checked.map((c) => [c.id, c.state, c.notAfter ?? '-', String(c.alertsSent)]),
    );
    for (const id of r.missing) console.log(`${id}: no watch (apply the inventory again)`);
    for (const f of r.failed) console.log(`${f.id}: check failed: ${f.error}`);
  }
  return r.failed.length + r.missing.length > 0 ? 1 : 0;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o', default: 'table' } } });
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError('-o must be table or json');
  const all = await withClient((client) => listCredentials(client));
  if (values.output === 'json') console.log(JSON.stringify(all, null, 2));
  else printTable(['id', 'kind', 'state', 'notAfter', 'daysLeft', 'nextAction'], all.map(row));
  return 0;
}

async function ack(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { note: { type: 'string' } } });
  const id = positionals[0];
  if (!id) throw new UsageError('credentials ack needs the credential ID');
  const s = await withClient((client) => acknowledgeCredential(client, id, values.note));
  console.log(
    `credential ${s.id}: acknowledged; no alerts until its certificate changes (state ${s.state}, notAfter ${s.notAfter ?? '-'})`,
  );
  return 0;
}

function row(s: CredentialStatus): string[] {
  return [s.id, s.kind, s.state, s.notAfter ?? '-', s.daysLeft === null ? '-' : String(s.daysLeft), s.nextAction];
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : (r[i] ?? '').length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/** `trustflow credentials <name> ...` */
export const commands: Commands = { apply, scan, list, ack };
