// KISC's news → planned-works windows (providers/kisc/maintenance.ts): the seed's own item, the
// other ways Russian notices write a range, Almaty's two offsets (UTC+6 until 2024-03-01, UTC+5
// since), and items that must be reported as unreadable rather than guessed at.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { maintenanceAt } from '../../src/contracts/kisc-maintenance.js';
import { parseMaintenanceNews } from '../../src/providers/kisc/maintenance.js';
import { seedOrSkip } from '../helpers/paths.js';

const item = (text: string, date = '2021-10-29', subject = 'плановые работы') => ({ date, subject, text });
const windowsOf = (text: string, date?: string) => parseMaintenanceNews([item(text, date)]).windows.map((w) => [w.start, w.end]);

describe('KISC news → maintenance windows', () => {
  it("reads seed 004's item: 21:00 30 October → 09:00 31 October 2021, Almaty (UTC+6 then)", async (t) => {
    const seed = seedOrSkip(t, '004_dea162bcb84a318b.txt');
    if (!seed) return;
    const doc = await readFile(seed, 'utf8');
    const news = doc.slice(doc.indexOf('/identity/1.1.0/news'));
    const [, date, subject, text] = /"date": "([^"]+)",\s*"subject": "((?:[^"\\]|\\.)*)",\s*"text": "((?:[^"\\]|\\.)*)"/.exec(news)!;
    const parsed = parseMaintenanceNews([{ date: date!, subject: JSON.parse(`"${subject}"`), text: JSON.parse(`"${text}"`) }]);
    assert.deepEqual(parsed.windows, [
      { start: '2021-10-30T15:00:00.000Z', end: '2021-10-31T03:00:00.000Z', subject: 'касательно плановых работ на стороне АО "НИТ"' },
    ]);
    assert.deepEqual(parsed.unparsed, []);
  });

  it('reads the other ways a range is written', () => {
    assert.deepEqual(windowsOf('Работы пройдут с 21:00 30.10.2021 до 09:00 31.10.2021.'), [
      ['2021-10-30T15:00:00.000Z', '2021-10-31T03:00:00.000Z'],
    ]);
    // A numeric date right after a time is a date, not the time "09.11".
    assert.deepEqual(windowsOf('Работы с 21:00 09.11.2021 до 09:00 10.11.2021.'), [
      ['2021-11-09T15:00:00.000Z', '2021-11-10T03:00:00.000Z'],
    ]);
    assert.deepEqual(windowsOf('30 октября 2021 года с 21:00 до 23:00 будут проводиться технические работы.'), [
      ['2021-10-30T15:00:00.000Z', '2021-10-30T17:00:00.000Z'],
    ]);
    // "г. Алматы" does not end the sentence.
    assert.deepEqual(windowsOf('В период с 21:00 (время г. Алматы) 30 октября по 09:00 31 октября 2021 года пройдут работы.'), [
      ['2021-10-30T15:00:00.000Z', '2021-10-31T03:00:00.000Z'],
    ]);
    // Over midnight on one named day; seconds.
    assert.deepEqual(windowsOf('1 ноября 2021 года с 23:30 до 01:00 работы.'), [['2021-11-01T17:30:00.000Z', '2021-11-01T19:00:00.000Z']]);
    assert.deepEqual(windowsOf('с 10:00:05 по 10:00:09 2 ноября 2021 года работы.'), [
      ['2021-11-02T04:00:05.000Z', '2021-11-02T04:00:09.000Z'],
    ]);
  });

  it('uses UTC+5 from 2024-03-01 (Kazakhstan moved to one zone)', () => {
    assert.deepEqual(windowsOf('В период с 22:00 часов 15 марта по 02:00 часов 16 марта 2025 года плановые работы.', '2025-03-10'), [
      ['2025-03-15T17:00:00.000Z', '2025-03-15T21:00:00.000Z'],
    ]);
  });

  it('takes a missing year from the publication date, and wraps December into January', () => {
    assert.deepEqual(windowsOf('С 23:00 31 декабря по 03:00 1 января будут проводиться плановые работы.', '2025-12-20'), [
      ['2025-12-31T18:00:00.000Z', '2025-12-31T22:00:00.000Z'],
    ]);
  });

  it('reports announcements it cannot read, and ignores other news', () => {
    const parsed = parseMaintenanceNews([
      item('Плановые работы будут проведены в ближайшие выходные.', '2025-01-10', 'Работы'),
      item('В период с 21:00 31 февраля по 09:00 1 марта 2025 года будут проводиться плановые работы.', '2025-02-01', 'Невозможная дата'),
      item('С 1 января 2025 года изменился адрес поддержки.', '2024-12-30', 'Адрес'),
    ]);
    assert.deepEqual(parsed.windows, []);
    assert.deepEqual(
      parsed.unparsed.map((u) => u.subject),
      ['Работы', 'Невозможная дата'],
    );
  });
});

describe('maintenanceAt', () => {
  const w = (start: string, end: string) => ({ start, end, subject: 's' });
  const windows = [w('2026-01-01T10:00:00Z', '2026-01-01T12:00:00Z'), w('2026-01-01T11:00:00Z', '2026-01-01T11:30:00Z')];
  it('finds the window an instant is in, the earliest-ending of overlapping ones, none outside', () => {
    assert.equal(maintenanceAt(windows, new Date('2026-01-01T09:59:59Z')), undefined);
    assert.equal(maintenanceAt(windows, new Date('2026-01-01T10:00:00Z'))?.end, '2026-01-01T12:00:00Z');
    assert.equal(maintenanceAt(windows, new Date('2026-01-01T11:10:00Z'))?.end, '2026-01-01T11:30:00Z');
    assert.equal(maintenanceAt(windows, new Date('2026-01-01T12:00:00Z')), undefined);
  });
});
