import { createTask, type Logger as CronLogger } from "node-cron";
import { describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Scheduler } from "./create-scheduler.js";
import { createCronSchedule, type CronSchedule } from "./create-cron-schedule.js";
import { findPreviousFireAt } from "./find-previous-fire-at.js";
import type { JobDefinition } from "./job-definition.js";

/** A tick that starts this much after its scheduled time is logged as late (ms); it runs all the same. */
export const lateTickToleranceMs = 1000;

export interface CronTriggers {
  /** When each job fires next (null once stopped). */
  nextRuns(): { readonly job: string; readonly nextRunAt: Date | null }[];
  /** Stops the clock: no tick fires after this. Idempotent. */
  stop(): Promise<void>;
}

interface Trigger {
  readonly job: JobDefinition;
  readonly schedule: CronSchedule;
  /** Every fire time at or before this has been handled (run, or skipped as an overlap); ms since the epoch. */
  handledUpToMs: number;
  running: boolean;
}

/**
 * Fires the scheduler's jobs. node-cron is the clock: one task that ticks every minute, or every second
 * when some job's expression has a seconds field. croner is the calendar (createCronSchedule, read as the
 * catch-up reads it): at each tick, a job with a fire time in (its last handled fire time, now] ticks once,
 * for the latest such time. node-cron's own matching is only ever asked for "every minute", so the job fires
 * when the catch-up and the logged next run say, DST days included. A tick that finds the job's previous
 * run still going is skipped with a warning (the scheduler also refuses a tick while any run of this process
 * is going). A fire time the process reaches late (blocked, or asleep) runs once, now, logged as late.
 * `now` (ms since the epoch) is the calendar's clock; node-cron's ticks only say when to look.
 */
export async function startCronTriggers(
  scheduler: Scheduler,
  logger: Logger,
  now: () => number = Date.now,
): Promise<CronTriggers> {
  const startedAtMs = now();
  // Fire times up to now are the catch-up's (scheduler.catchUp), not the clock's.
  const triggers: Trigger[] = scheduler.jobs.map((job) => ({
    job,
    schedule: createCronSchedule(job.schedule, job.timezone),
    handledUpToMs: startedAtMs,
    running: false,
  }));
  let stopped = false;
  const findNextRunAt = (schedule: CronSchedule) =>
    stopped ? null : (schedule.findNextFireAt(now()) ?? null);
  const tickEverySecond = triggers.some((trigger) => trigger.schedule.hasSeconds);
  const clock = createTask(
    tickEverySecond ? "* * * * * *" : "* * * * *",
    () => {
      for (const trigger of triggers) fireIfDue(trigger);
    },
    {
      name: "zephr-sync-clock",
      // Every minute is the same in every zone: UTC has no DST for node-cron to get wrong.
      timezone: "UTC",
      // node-cron drops a tick more than 1 s late; this clock's ticks only say "look now", so a late one
      // (a GC pause, a machine waking up) still looks, at once, and covers every fire time since the last.
      missedExecutionTolerance: tickEverySecond ? 1000 : 60_000, // ms: one tick
      suppressMissedWarning: true,
      logger: toCronLogger(logger.child({ source: "node-cron" })),
    },
  );

  function fireIfDue(trigger: Trigger): void {
    const nowMs = now();
    const scheduledAt = findPreviousFireAt(trigger.schedule, nowMs, trigger.handledUpToMs);
    if (scheduledAt === undefined) return;
    // Handled whatever happens next: one fire time never ticks twice.
    trigger.handledUpToMs = scheduledAt.getTime();
    const { job } = trigger;
    if (trigger.running) {
      logger.warn(
        { job: job.name, trigger: "schedule", scheduledAt: scheduledAt.toISOString() },
        "tick skipped: this job's previous run is still going",
      );
      return;
    }
    const lateMs = nowMs - scheduledAt.getTime();
    if (lateMs > lateTickToleranceMs) {
      logger.warn(
        { job: job.name, scheduledAt: scheduledAt.toISOString(), lateMs },
        "tick late: the process was blocked or asleep at the scheduled time; running it now",
      );
    }
    trigger.running = true;
    void tickJob(trigger);
  }

  async function tickJob(trigger: Trigger): Promise<void> {
    const { job, schedule } = trigger;
    try {
      const result = await scheduler.tick(job.name, "schedule");
      if (result.status === "ran") {
        logger.info({ job: job.name, nextRunAt: findNextRunAt(schedule)?.toISOString() ?? null }, "next run");
      }
    } catch (error) {
      // tick never rejects; this is for a bug in the logging around it, which must not stop the clock.
      logger.error({ job: job.name, err: describeError(error) }, "the cron trigger failed");
    } finally {
      trigger.running = false;
    }
  }

  await clock.start();
  for (const { job, schedule } of triggers) {
    logger.info(
      {
        job: job.name,
        schedule: job.schedule,
        timezone: job.timezone,
        request: job.request.kind,
        nextRunAt: schedule.findNextFireAt(startedAtMs)?.toISOString() ?? null,
      },
      "job scheduled",
    );
  }
  return {
    nextRuns: () =>
      triggers.map(({ job, schedule }) => ({ job: job.name, nextRunAt: findNextRunAt(schedule) })),
    async stop() {
      stopped = true;
      // destroy clears the timer at once and leaves node-cron's registry; again is a no-op.
      await clock.destroy();
    },
  };
}

/** node-cron's own messages (none are expected: the tick cannot throw) go to this project's log. */
function toCronLogger(log: Logger): CronLogger {
  return {
    info: (message) => {
      log.debug(message);
    },
    warn: (message) => {
      log.warn(message);
    },
    error: (message, error) => {
      log.error({ err: error === undefined ? undefined : describeError(error) }, describeError(message));
    },
    debug: (message) => {
      log.debug(describeError(message));
    },
  };
}
