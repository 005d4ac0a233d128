// Property-based (fast-check) tests of KISC's news parser (parseMaintenanceNews,
// src/providers/kisc/maintenance.ts): random announcements and noise never throw, well-formed ones are
// read exactly, long texts are read in linear time. Helpers: test/helpers/fuzz.ts.
// Seeds are random on every run; on failure fast-check prints the seed and the (shrunk) counterexample.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseMaintenanceNews } from '../../src/providers/kisc/maintenance.js';
import type { NewsItem } from '../../src/providers/kisc/schemas.js';
import { describeError, timed } from '../helpers/fuzz.js';

// The reason of a failure in the report itself: node:test prints messages, not causes.
fc.configureGlobal({ includeErrorInReport: true });

describe('KISC news text (parseMaintenanceNews)', () => {
  const MONTHS = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const year = fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0'));
  const time = fc
    .tuple(
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.option(fc.integer({ min: 0, max: 61 })),
      fc.constantFrom(':', '.'),
    )
    .map(([h, m, s, sep]) => `${h}${sep}${pad(m)}${s === null ? '' : `:${pad(s)}`}`);
  const namedDate = fc
    .tuple(
      fc.integer({ min: 0, max: 39 }),
      fc.constantFrom(...MONTHS, ...MONTHS.map((m) => m.toUpperCase())),
      fc.option(fc.tuple(year, fc.constantFrom('', ' года', ' г.', 'г'))),
    )
    .map(([d, m, y]) => `${d} ${m}${y ? ` ${y[0]}${y[1]}` : ''}`);
  const numericDate = fc
    .tuple(fc.integer({ min: 0, max: 39 }), fc.integer({ min: 0, max: 19 }), year)
    .map(([d, m, y]) => `${pad(d)}.${pad(m)}.${y}`);
  const filler = fc.constantFrom(
    'в период',
    'часов',
    'будут проводиться плановые работы',
    'технические работы',
    '(время г. Алматы)',
    'Уважаемые партнеры!',
    '',
    'сервис недоступен',
  );
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  /** Text that looks like an announcement, every piece possibly wrong: hours 24-25, day 39, month 19, year 0000. */
  const announcement = fc
    .tuple(
      filler,
      opt(fc.oneof(namedDate, numericDate)),
      fc.constantFrom('с', 'со', 'С', 'c'),
      filler,
      time,
      opt(fc.oneof(namedDate, numericDate)),
      filler,
      fc.constantFrom('по', 'до', 'ПО', 'и'),
      time,
      opt(fc.oneof(namedDate, numericDate)),
      filler,
    )
    .map((parts) => parts.filter((p) => p !== undefined && p !== '').join(' '));
  const noise = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.constantFrom('.', '!', '?', '\n', ' г. ', 'с ', ' по ', ' до ', '\u00a0', '\r\n'),
  );
  const newsText = fc.array(fc.oneof({ weight: 3, arbitrary: announcement }, noise), { maxLength: 6 }).map((parts) => parts.join(' '));
  const published = fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${pad(m)}-${pad(d)}`);
  const item: fc.Arbitrary<NewsItem> = fc.record({
    date: fc.oneof({ weight: 4, arbitrary: published }, fc.string()),
    subject: fc.oneof(fc.string(), fc.constantFrom('плановые работы', 'касательно плановых работ')),
    text: fc.oneof({ weight: 4, arbitrary: newsText }, fc.string({ unit: 'binary' })),
  });

  it('random announcements and noise: never an exception; each window starts before it ends, as ISO instants of its item', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 4 }), (items) => {
        const out = timed(500, 'parseMaintenanceNews', () => parseMaintenanceNews(items));
        assert.ok(out.ok, `threw ${describeError(!out.ok && out.error)}`);
        for (const w of out.value.windows) {
          const [start, end] = [Date.parse(w.start), Date.parse(w.end)];
          assert.ok(start < end, JSON.stringify(w));
          assert.equal(new Date(start).toISOString(), w.start);
          assert.equal(new Date(end).toISOString(), w.end);
          assert.ok(items.some((i) => i.subject === w.subject));
        }
        for (const u of out.value.unparsed) assert.ok(items.some((i) => i.date === u.date && i.subject === u.subject));
      }),
      { numRuns: 400 },
    );
  });

  // An oracle for well-formed announcements: Almaty is UTC+6 from 2005 until 2024-03-01 00:00, UTC+5 since.
  const wallClock = fc
    .tuple(fc.integer({ min: 2005, max: 2099 }), fc.nat(11), fc.nat(27), fc.nat(23), fc.nat(59), fc.integer({ min: 1, max: 3 * 24 * 60 }))
    .map(([y, mo, d, h, mi, minutes]) => ({ start: Date.UTC(y, mo, d + 1, h, mi), end: Date.UTC(y, mo, d + 1, h, mi) + minutes * 60_000 }))
    // Not across the change of offset (the night of 2024-02-29/03-01 is ambiguous on the wall clock).
    .filter(({ start, end }) => end < Date.UTC(2024, 1, 28) || start > Date.UTC(2024, 2, 2));
  const utcOf = (wall: number) => new Date(wall - (wall < Date.UTC(2024, 2, 1) ? 6 : 5) * 3_600_000).toISOString();
  const parts = (wall: number) => {
    const d = new Date(wall);
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` };
  };

  it('well-formed announcements (named or numeric dates, year on both or on the end, or from the publication date) are read exactly', () => {
    fc.assert(
      fc.property(
        wallClock,
        fc.constantFrom('both-named', 'end-year-named', 'numeric', 'no-year', 'day-before'),
        filler,
        filler,
        (w, style, f1, f2) => {
          const [s, e] = [parts(w.start), parts(w.end)];
          const named = (p: typeof s, withYear: boolean) => `${p.d} ${MONTHS[p.mo]}${withYear ? ` ${p.y} года` : ''}`;
          const numeric = (p: typeof s) => `${pad(p.d)}.${pad(p.mo + 1)}.${p.y}`;
          let text: string;
          let date = `${s.y}-01-01`;
          if (style === 'both-named') text = `с ${s.time} ${named(s, true)} по ${e.time} ${named(e, true)}`;
          else if (style === 'numeric') text = `с ${s.time} ${numeric(s)} до ${e.time} ${numeric(e)}`;
          else if (style === 'end-year-named') {
            fc.pre(s.y === e.y); // across a new year: the property below
            text = `с ${s.time} ${named(s, false)} по ${e.time} ${named(e, true)}`;
          } else if (style === 'no-year') text = `с ${s.time} ${named(s, false)} по ${e.time} ${named(e, false)}`;
          else {
            fc.pre(w.end - w.start < 24 * 3_600_000 && w.end - w.start > 0);
            text = `${named(s, true)} с ${s.time} до ${e.time}`;
            date = `${s.y}-${pad(s.mo + 1)}-01`;
          }
          const items = [
            { date, subject: 'плановые работы', text: `Уважаемые партнеры! ${f1} ${text} ${f2} будут проводиться плановые работы.` },
          ];
          const { windows } = parseMaintenanceNews(items);
          assert.deepEqual(windows, [{ start: utcOf(w.start), end: utcOf(w.end), subject: 'плановые работы' }], items[0]!.text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('works over the new year with the year only at the end ("с 23:00 31 декабря по 03:00 1 января 2026 года") are read', {}, () => {
    fc.assert(
      fc.property(fc.integer({ min: 2025, max: 2099 }), fc.nat(23), fc.nat(5), (y, h, endHour) => {
        const text = `В период с ${pad(h)}:00 31 декабря по ${pad(endHour)}:00 1 января ${y + 1} года будут проводиться плановые работы.`;
        const { windows } = parseMaintenanceNews([{ date: `${y}-12-20`, subject: 's', text }]);
        assert.deepEqual(
          windows.map((x) => [x.start, x.end]),
          [[utcOf(Date.UTC(y, 11, 31, h)), utcOf(Date.UTC(y + 1, 0, 1, endHour))]],
          text,
        );
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });

  it('long texts (20 000-50 000 characters, one short phrase repeated) are read in under 250 ms', {}, () => {
    const phrase = fc
      .array(fc.constantFrom('с', 'со', 'работы', '21:00', 'октября', 'часов', 'в', 'период', 'г.', '30.10.2021'), {
        minLength: 1,
        maxLength: 3,
      })
      .map((ws) => `${ws.join(' ')} `);
    fc.assert(
      fc.property(phrase, fc.integer({ min: 20_000, max: 50_000 }), (p, length) => {
        const text = p.repeat(Math.ceil(length / p.length)).slice(0, length);
        // A linear reading of 50 000 characters takes a few ms; 250 ms leaves room for a slow machine.
        timed(250, `parseMaintenanceNews of ${length} characters ("${p}" repeated)`, () =>
          parseMaintenanceNews([{ date: '2021-10-29', subject: 's', text }]),
        );
      }),
      // A failing run costs its time again at each shrinking step: stop at the first.
      { numRuns: 40, endOnFailure: true },
    );
  });
});
