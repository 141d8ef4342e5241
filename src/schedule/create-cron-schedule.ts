import { Cron, type CronOptions } from "croner";

/**
 * How this project reads every cron expression, for deciding when a job is due (start-cron-triggers.ts,
 * whose node-cron clock asks at each tick), for the previous and next fire times (catch-up, logs) and for
 * validation (config), so the three cannot disagree:
 * - 5 fields, or 6 with seconds first (croner's 7th field, the year, is refused: it is not in the contract);
 * - day-of-month AND day-of-week when both are restricted (`0 0 1 * 1`: a Monday the 1st), as node-cron's
 *   own matching reads them (Vixie cron would read OR);
 * - in `timezone`, with croner's DST rules (those of Vixie cron): an expression with one value in each of
 *   second, minute and hour fires once on the day clocks go back (at the first of the repeated times) and,
 *   on the day they go forward, at the first valid time after the gap when its time falls in it; any other
 *   expression fires on both passes of a repeated hour and skips the times that do not exist.
 */
export function readCronOptions(timezone: string): CronOptions {
  return { timezone, mode: "5-or-6-parts", domAndDow: true };
}

/** A cron expression read in a zone, for computations only: it never fires (no timer). */
export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  /** Whether the expression has a seconds field (6 fields), so it may fire between whole minutes. */
  readonly hasSeconds: boolean;
  /** The latest fire time at or before `atOrBeforeMs` (ms since the epoch); undefined when it never fired. */
  findPreviousFireAt(atOrBeforeMs: number): Date | undefined;
  /** The first fire time strictly after `afterMs` (ms since the epoch); undefined when it never fires. */
  findNextFireAt(afterMs: number): Date | undefined;
}

/** Throws croner's TypeError for an invalid expression (config validates them first, see findCronProblem). */
export function createCronSchedule(expression: string, timezone: string): CronSchedule {
  // Without a function, croner schedules nothing: this instance only computes.
  const cron = new Cron(expression, readCronOptions(timezone));
  return Object.freeze({
    expression,
    timezone,
    hasSeconds: expression.trim().split(/\s+/).length === 6,
    // croner's previous run is strictly before its reference, to the millisecond: one ms later makes
    // `atOrBeforeMs` itself count when it is a fire time.
    findPreviousFireAt: (atOrBeforeMs: number) => cron.previousRuns(1, new Date(atOrBeforeMs + 1))[0],
    findNextFireAt: (afterMs: number) => cron.nextRun(new Date(afterMs)) ?? undefined,
  });
}

/**
 * Why an expression cannot be a schedule, in words for a configuration message ("Invalid value for hour:
 * 99", "it matches no date"); undefined when it is a valid expression that fires.
 */
export function findCronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  // croner's own message would also offer 7 fields, which readCronOptions refuses; "@daily" and the like pass.
  if (!expression.trim().startsWith("@") && fields.length !== 5 && fields.length !== 6) {
    return `${fields.length} field${fields.length === 1 ? "" : "s"}, where 5 are expected (or 6 with seconds first)`;
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, readCronOptions("UTC"));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^CronPattern: /, "");
  }
  // 30 February parses, and would leave the job waiting for ever.
  return cron.nextRun() === null ? "it matches no date" : undefined;
}
