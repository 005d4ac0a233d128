// KISC's clock, in one place: Kazakhstan has had one time zone, UTC+5, since 1 March 2024 (UTC+6
// before; providers/kisc/maintenance.ts reads older dates through the tz database). KISC writes its
// report days and datetimes in it, and the daily reconciliation runs on its calendar. Pure.

/** The IANA zone (for Temporal Schedules and the tz database). */
export const KISC_TIME_ZONE = 'Asia/Almaty';
/** Its UTC offset today, in minutes. */
export const KISC_UTC_OFFSET_MINUTES = 5 * 60;
/** The same offset as ISO 8601 writes it. */
export const KISC_UTC_OFFSET = '+05:00';

/** The KISC calendar day (YYYY-MM-DD) of an instant. */
export function kiscDate(at: Date): string {
  return new Date(at.getTime() + KISC_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10);
}
