// Grant dates are whole days in Beijing time (Asia/Shanghai, UTC+8 all year, no daylight saving):
// "until 2027-06-30" lasts to the end of that day there, not to 08:00 of it, as a date read as UTC would.
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const OFFSET_MS = 8 * 3_600_000;

export const isDateOnly = (s: string) => DATE_ONLY.test(s);

/** The instant a Beijing calendar day begins (plusDays 1: the instant it ends). */
export function beijingDayStart(date: string, plusDays = 0): string {
  const m = DATE_ONLY.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays) - OFFSET_MS).toISOString();
}

/** A grant's start: a bare date is the start of that day in Beijing; anything else is an instant. */
export const grantStart = (s: string) => (isDateOnly(s) ? beijingDayStart(s) : new Date(s).toISOString());

/** A grant's end: a bare date is the end of that day in Beijing (the next day's start); anything else is an instant. */
export const grantEnd = (s: string) => (isDateOnly(s) ? beijingDayStart(s, 1) : new Date(s).toISOString());
