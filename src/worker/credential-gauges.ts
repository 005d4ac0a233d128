// trustflow_credential_seconds_left, kept by trustflow itself rather than on the Temporal runtime's
// meter: a series there can never be removed, so a retired credential's would stay on /metrics for the
// life of every worker process that ever exported it. Here each credential's series holds its earliest
// notAfter (the value is computed at each scrape, so it does not go stale between checks) and lives
// until `keepMs` after the last check that set it, or until a check names the credentials still
// applied without it. The worker's /metrics (telemetry.ts) serves these lines after the runtime's.

const NAME = 'trustflow_credential_seconds_left';

interface Series {
  credential: string;
  kind: string;
  notAfterMs: number;
  /** Dropped after this (ms since the epoch) unless set again. */
  keepUntil: number;
}

export class CredentialGauges {
  private readonly series = new Map<string, Series>();

  constructor(private readonly now: () => number = Date.now) {}

  set(labels: { credential: string; kind: string }, notAfterMs: number, keepMs: number): void {
    this.series.set(labels.credential, { ...labels, notAfterMs, keepUntil: this.now() + keepMs });
  }

  /** Drops every credential not in `ids`. */
  retain(ids: readonly string[]): void {
    const keep = new Set(ids);
    for (const id of [...this.series.keys()]) if (!keep.has(id)) this.series.delete(id);
  }

  /** The series in Prometheus text format (empty when there are none). */
  exposition(): string {
    const now = this.now();
    for (const [id, s] of [...this.series]) if (s.keepUntil <= now) this.series.delete(id);
    if (this.series.size === 0) return '';
    const lines = [`# HELP ${NAME} Seconds until a credential expires`, `# TYPE ${NAME} gauge`];
    for (const s of [...this.series.values()].sort((a, b) => a.credential.localeCompare(b.credential)))
      lines.push(`${NAME}{credential="${label(s.credential)}",kind="${label(s.kind)}"} ${Math.round((s.notAfterMs - now) / 1000)}`);
    return lines.join('\n') + '\n';
  }
}

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
