import { createTask, parse } from "node-cron";

/** A cron expression read in a zone: which instants it fires at, and its parsed fields. */
export interface CronMatcher {
  readonly expression: string;
  readonly timezone: string;
  /** Whether the expression fires at this instant (to the second). */
  matches(date: Date): boolean;
  /** Allowed values of the second, minute and hour fields (local time), ascending. */
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
}

/**
 * node-cron exposes its matcher only on a task, so this builds an inert task (never started) and destroys
 * it at once, which removes it from node-cron's registry; `match` keeps working on the destroyed task.
 * Throws node-cron's error for an invalid expression (config validates them first).
 */
export function createCronMatcher(expression: string, timezone: string): CronMatcher {
  const fields = parse(expression);
  const task = createTask(expression, () => undefined, { timezone });
  void task.destroy();
  const ascending = (values: readonly number[]) => Object.freeze([...values].sort((a, b) => a - b));
  return Object.freeze({
    expression,
    timezone,
    matches: (date: Date) => task.match(date),
    seconds: ascending(fields.second),
    minutes: ascending(fields.minute),
    hours: ascending(fields.hour),
  });
}
