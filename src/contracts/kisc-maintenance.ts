// KISC's announced planned works, as kiscVerifyIdentity sees them: windows of UTC instants read
// from GET /news (providers/kisc/maintenance.ts parses the Russian text). Pure: used by the workflow.

export interface MaintenanceWindow {
  /** ISO 8601, UTC. */
  start: string;
  end: string;
  /** The news item's subject, for the flow's status and the failure message. */
  subject: string;
}

/** The window `at` falls in (the earliest-ending one when several overlap), if any. */
export function maintenanceAt(windows: readonly MaintenanceWindow[], at: Date): MaintenanceWindow | undefined {
  const t = at.getTime();
  return windows.filter((w) => Date.parse(w.start) <= t && Date.parse(w.end) > t).sort((a, b) => Date.parse(a.end) - Date.parse(b.end))[0];
}
