import type { CronMatcher } from "./cron-matcher.js";

const minuteMs = 60_000;

/** How far back the search looks at most: a cron firing less than once a year is never "missed" (ms). */
export const maxLookbackMs = 366 * 24 * 60 * minuteMs;

/**
 * The latest instant at or before `nowMs`, and strictly after `afterMs`, at which the cron fires; undefined
 * when it does not fire in that span (or within maxLookbackMs of now).
 *
 * node-cron computes only the next run, so this walks back from now. It stays cheap by skipping whole
 * local hours and runs of minutes the expression cannot match (a few thousand steps for a year), and asks
 * node-cron's own matcher for the final word, so day-of-month, day-of-week, `L` and `#` tokens mean exactly
 * what they mean to node-cron. Exact for zones whose UTC offset is whole minutes and changes on the hour
 * (every IANA zone today, except Lord Howe's 30-minute DST, where it may miss a fire in the changed hour).
 */
export function findPreviousFireAt(cron: CronMatcher, nowMs: number, afterMs: number): Date | undefined {
  const lowestMs = Math.max(afterMs, nowMs - maxLookbackMs);
  const hours = new Set(cron.hours);
  const secondsDescending = [...cron.seconds].reverse();
  const readLocal = localClockReader(cron.timezone);
  // Start of the current minute: zone offsets are whole minutes, so this is a local minute boundary too.
  let minuteStartMs = Math.floor(nowMs / minuteMs) * minuteMs;
  while (minuteStartMs + minuteMs - 1 > lowestMs) {
    const { hour, minute } = readLocal(minuteStartMs);
    if (!hours.has(hour)) {
      minuteStartMs -= (minute + 1) * minuteMs; // to minute 59 of the previous local hour
      continue;
    }
    const allowedMinute = findLast(cron.minutes, (m) => m <= minute);
    if (allowedMinute === undefined) {
      minuteStartMs -= (minute + 1) * minuteMs;
      continue;
    }
    if (allowedMinute < minute) {
      minuteStartMs -= (minute - allowedMinute) * minuteMs;
      continue;
    }
    for (const second of secondsDescending) {
      const candidateMs = minuteStartMs + second * 1000;
      if (candidateMs > nowMs) continue;
      if (candidateMs <= lowestMs) return undefined;
      if (cron.matches(new Date(candidateMs))) return new Date(candidateMs);
    }
    minuteStartMs -= minuteMs;
  }
  return undefined;
}

function findLast(values: readonly number[], predicate: (value: number) => boolean): number | undefined {
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i];
    if (value !== undefined && predicate(value)) return value;
  }
  return undefined;
}

/** Reads the local hour (0-23) and minute of an instant in a zone. */
function localClockReader(timezone: string): (ms: number) => { hour: number; minute: number } {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    hour: "numeric",
    minute: "numeric",
  });
  return (ms) => {
    let hour = 0;
    let minute = 0;
    for (const part of format.formatToParts(ms)) {
      if (part.type === "hour") hour = Number(part.value);
      else if (part.type === "minute") minute = Number(part.value);
    }
    return { hour, minute };
  };
}
