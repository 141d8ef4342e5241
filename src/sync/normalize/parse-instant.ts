/**
 * Zephr's instants: `registered` is ISO 8601 with a zone (`2021-02-24T15:43:28Z`); grant times are
 * `YYYY-MM-DD HH:mm:ss` without a zone, read in a configured zone (UTC unless told otherwise).
 * Both are validated field by field (no 2021-02-30) and returned as UTC ISO strings.
 */

const instantPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Offset of `timeZone` from UTC at the instant `utcMs` (ms, positive east of Greenwich). */
function zoneOffsetMs(timeZone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

const dayMs = 86_400_000;

/**
 * The instant a wall time (`wallMs`: its fields read as UTC) of `timeZone` stands for, as PostgreSQL
 * reads a zone-less time (`timestamp … at time zone`): a time that exists once is that instant; one a
 * change of offset skips (`2024-03-10 02:30` in America/New_York) is read with the offset before the
 * change (07:30Z, shown as 03:30 EDT); one it repeats (`2024-11-03 01:30`) is the later instant (EST,
 * 06:30Z). In both cases the later of the two candidates, one per offset around the change.
 */
function resolveWallTime(timeZone: string, wallMs: number): number {
  const before = zoneOffsetMs(timeZone, wallMs - dayMs);
  const after = zoneOffsetMs(timeZone, wallMs + dayMs);
  if (before === after) return wallMs - before; // no change of offset within a day: nearly always
  const candidates = [wallMs - before, wallMs - after];
  const valid = candidates.filter((utcMs, i) => zoneOffsetMs(timeZone, utcMs) === (i === 0 ? before : after));
  return Math.max(...(valid.length > 0 ? valid : candidates));
}

/** Days in `month` (1-12) of `year` (proleptic Gregorian), by arithmetic: no Date per instant. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  // 31 for January, March, May, July, August, October, December; 30 for the others.
  return 30 + ((month + (month >> 3)) & 1);
}

function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

/**
 * The two layouts Zephr uses (`2021-02-24T15:43:28Z`, and `2022-06-01 00:00:00` read as UTC), validated
 * and rewritten without building a Date: this runs for every instant of every changed user.
 */
function parseCommonUtc(text: string, timeZone: string): string | undefined | null {
  const zoned = text.length === 20 && text.charCodeAt(19) === 90; // "Z"
  if (!(zoned || (text.length === 19 && timeZone === "UTC"))) return null;
  const separator = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (separator !== 84 && separator !== 32))
    return null;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return null;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.000Z`;
}

/**
 * Parses an instant; a text without a zone is read in `timeZone`. Returns UTC ISO 8601, or undefined
 * when the text is not a valid date and time.
 */
export function parseInstant(text: string, timeZone: string): string | undefined {
  const common = parseCommonUtc(text, timeZone);
  if (common !== null) return common;
  const match = instantPattern.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Number((fraction + "000").slice(0, 3));
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const date = new Date(wallMs);
  if (year < 100) date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  let utcMs = date.getTime();
  if (zone !== undefined) {
    if (zone.toUpperCase() !== "Z") {
      const sign = zone.startsWith("-") ? -1 : 1;
      const digits = zone.slice(1).replace(":", "");
      const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0");
      if (offsetMinutes > 18 * 60) return undefined;
      utcMs -= sign * offsetMinutes * 60_000;
    }
  } else if (timeZone !== "UTC") {
    utcMs = resolveWallTime(timeZone, utcMs);
  }
  const result = new Date(utcMs);
  const resultYear = result.getUTCFullYear();
  if (Number.isNaN(result.getTime()) || resultYear < 1 || resultYear > 9999) return undefined;
  return result.toISOString();
}
