// KISC's GET /news announces planned works in Russian prose (seed 004: "В период с 21:00 часов 30
// октября по 09:00 часов 31 октября 2021 года будут проводиться плановые работы…"). This turns such
// items into windows of UTC instants. Times are Almaty's wall clock (Asia/Almaty from the runtime's
// tz database: UTC+6 until 2024-03-01, UTC+5 since), the zone KISC writes in. An item that names no
// readable range is reported as unparsed, never guessed at: the caller logs it and goes on.
import type { MaintenanceWindow } from '../../contracts/kisc-maintenance.js';
import type { NewsItem } from './schemas.js';
import { KISC_TIME_ZONE } from '../../contracts/kisc-time.js';

export interface ParsedNews {
  windows: MaintenanceWindow[];
  /** Items that announce works (by their words) but name no range this parser reads. */
  unparsed: { date: string; subject: string }[];
}

const MAX_SENTENCE = 2000;

const MONTHS = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];

// One date or time in the text: "21:00", "21:00:30", "30 октября", "30 октября 2021", "30.10.2021".
// Dates first: "09.11.2021" must not be read as the time 09.11.
const TOKEN = new RegExp(
  [
    String.raw`(?<numeric>\b(?<dd>[0-3]\d)\.(?<mm>[01]\d)\.(?<yy>\d{4})\b)`,
    String.raw`(?<named>\b(?<nd>[0-3]?\d)\s+(?<month>${MONTHS.join('|')})(?:\s+(?<ny>\d{4})(?:\s*(?:года|г\.?))?)?)`,
    String.raw`(?<time>\b(?<h>[01]?\d|2[0-3])[:.](?<mi>[0-5]\d)(?::(?<s>[0-5]\d))?\b)`,
  ].join('|'),
  'giu',
);

// Words that mark an announcement of works, so that an unreadable one is reported rather than skipped.
const ANNOUNCES_WORKS = /(плановы[ехм]|профилактическ|технически[ехм]|регламентн)\S*\s+работ/iu;

interface Moment {
  time?: { h: number; mi: number; s: number };
  date?: { d: number; m: number; y?: number };
}

/** The windows the news items announce. */
export function parseMaintenanceNews(items: readonly NewsItem[]): ParsedNews {
  const windows: MaintenanceWindow[] = [];
  const unparsed: ParsedNews['unparsed'] = [];
  for (const item of items) {
    const found = windowsOf(item);
    windows.push(...found);
    if (found.length === 0 && ANNOUNCES_WORKS.test(`${item.subject} ${item.text}`))
      unparsed.push({ date: item.date, subject: item.subject });
  }
  return { windows, unparsed };
}

/** The windows one item announces: each sentence with "с … по|до …" holding a start and an end. */
function windowsOf(item: NewsItem): MaintenanceWindow[] {
  const out: MaintenanceWindow[] = [];
  const published = /^(\d{4})-(\d{2})-(\d{2})$/.exec(item.date);
  const publishedYear = published ? Number(published[1]) : undefined;
  // Sentences end at . ! ? before a space, except the "г." of "г. Алматы".
  for (const sentence of item.text.split(/(?<=[.!?])(?<!(?:^|\s)г\.)\s+|\n+/u)) {
    // A real announcement's sentence is a few hundred characters; the range pattern backtracks on
    // long ones, so anything longer than this is not read (and reported, if it announces works).
    if (sentence.length > MAX_SENTENCE) continue;
    const range = /(?:^|\s)(?:с|со)\s(?<from>.+?)\s(?:по|до)\s(?<to>.+)$/iu.exec(sentence);
    if (!range?.groups) continue;
    // Words before "с" may carry the day ("30 октября с 21:00 до 23:00").
    const before = momentOf(sentence.slice(0, range.index));
    const from = momentOf(range.groups.from!);
    const to = momentOf(range.groups.to!);
    if (!from.time || !to.time) continue;
    const startDate = from.date ?? before.date ?? to.date;
    const endDate = to.date ?? startDate;
    if (!startDate || !endDate) continue;
    // A range that crosses New Year ("с 23:00 31 декабря по 03:00 1 января 2026 года") ends in the
    // year after it starts, whichever side names the year.
    const wraps = endDate.m < startDate.m;
    const startYear = startDate.y ?? (endDate.y !== undefined ? endDate.y - (wraps ? 1 : 0) : publishedYear);
    if (startYear === undefined || startYear < 1970) continue; // "0021" is no year an announcement means
    const endYear = endDate.y ?? (wraps ? startYear + 1 : startYear);
    const start = almatyToUtc(startYear, startDate.m, startDate.d, from.time);
    let end = almatyToUtc(endYear, endDate.m, endDate.d, to.time);
    // "с 21:00 до 09:00" on one named day: the end is the next morning.
    if (!to.date && end <= start) end = new Date(end.getTime() + 24 * 3600_000);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) continue;
    if (!out.some((w) => w.start === start.toISOString() && w.end === end.toISOString()))
      out.push({ start: start.toISOString(), end: end.toISOString(), subject: item.subject });
  }
  return out;
}

/** The first time and the first date in a piece of text. */
function momentOf(text: string): Moment {
  const m: Moment = {};
  for (const match of text.matchAll(TOKEN)) {
    const g = match.groups!;
    if (g.time && !m.time) m.time = { h: Number(g.h), mi: Number(g.mi), s: Number(g.s ?? 0) };
    if (g.named && !m.date)
      m.date = { d: Number(g.nd), m: MONTHS.indexOf(g.month!.toLowerCase()) + 1, ...(g.ny ? { y: Number(g.ny) } : {}) };
    if (g.numeric && !m.date) m.date = { d: Number(g.dd), m: Number(g.mm), y: Number(g.yy) };
  }
  return m;
}

const almatyWall = new Intl.DateTimeFormat('en-US', {
  timeZone: KISC_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** Almaty's UTC offset (ms) at an instant. */
function almatyOffsetMs(instant: number): number {
  const p = Object.fromEntries(almatyWall.formatToParts(instant).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - instant;
}

/** The UTC instant of an Almaty wall-clock time (invalid Date for an impossible day such as 31 февраля). */
function almatyToUtc(y: number, m: number, d: number, t: { h: number; mi: number; s: number }): Date {
  const wall = Date.UTC(y, m - 1, d, t.h, t.mi, t.s);
  const check = new Date(wall);
  if (check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return new Date(NaN);
  let instant = wall - almatyOffsetMs(wall);
  instant = wall - almatyOffsetMs(instant); // the offset at the instant itself (a change of offset in between)
  return new Date(instant);
}
