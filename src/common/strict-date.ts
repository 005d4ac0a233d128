// Dates typed by people (`--at 2022-06-01`, `--from`): read strictly. `new Date(text)` reads
// '2022-02-30' as 2 March and '1' as the year 2001: a verdict "valid at" such a date would be about
// another day than the one asked. Pure: no imports.

/** A calendar date or an ISO 8601 instant, or the reason it is not one. */
export type StrictDate = { ok: true; date: Date } | { ok: false; reason: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * `YYYY-MM-DD` (00:00 UTC that day) or `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)`. Every field must be
 * a real one (no 30 February, no hour 24); an instant needs its zone, so that it means the same
 * moment on every machine.
 */
export function parseStrictDate(text: string): StrictDate {
  const t = text.trim();
  const d = DATE.exec(t);
  if (d) {
    const date = new Date(Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!));
    return calendarOk(date, +d[1]!, +d[2]!, +d[3]!) ? { ok: true, date } : { ok: false, reason: `${t} is not a day of the calendar` };
  }
  const m = INSTANT.exec(t);
  if (!m) return { ok: false, reason: 'expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (or with an offset such as +05:00)' };
  const [y, mo, day, h, mi, s = '0', frac = '0', zone] = m.slice(1) as string[];
  if (!zone) return { ok: false, reason: `${t} has no time zone: add Z (UTC) or an offset such as +05:00` };
  if (+h! > 23 || +mi! > 59 || +s > 59) return { ok: false, reason: `${t} is not a time of day` };
  const wall = new Date(Date.UTC(+y!, +mo! - 1, +day!, +h!, +mi!, +s, Math.floor(+`0.${frac}` * 1000)));
  if (!calendarOk(wall, +y!, +mo!, +day!)) return { ok: false, reason: `${t} is not a day of the calendar` };
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (+z[2]! > 23 || +z[3]! > 59) return { ok: false, reason: `${zone} is not a time-zone offset` };
    offsetMin = (z[1] === '-' ? -1 : 1) * (+z[2]! * 60 + +z[3]!);
  }
  return { ok: true, date: new Date(wall.getTime() - offsetMin * 60_000) };
}

function calendarOk(date: Date, y: number, m: number, d: number): boolean {
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
