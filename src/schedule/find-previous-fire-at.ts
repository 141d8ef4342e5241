import type { CronSchedule } from "./create-cron-schedule.js";

/** How far back the search looks at most: a cron firing less than once a year is never "missed" (ms). */
export const maxLookbackMs = 366 * 24 * 3600_000;

/**
 * The latest instant at or before `nowMs`, and strictly after `afterMs`, at which the cron fires; undefined
 * when it does not fire in that span (or within maxLookbackMs of now). The search is croner's, so it follows
 * the same DST rules as the triggers that fire the job (see readCronOptions).
 */
export function findPreviousFireAt(cron: CronSchedule, nowMs: number, afterMs: number): Date | undefined {
  const lowestMs = Math.max(afterMs, nowMs - maxLookbackMs);
  const previous = cron.findPreviousFireAt(nowMs);
  return previous !== undefined && previous.getTime() > lowestMs ? previous : undefined;
}
