import { Cron } from "croner";
import { describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Scheduler } from "./create-scheduler.js";
import { createCronSchedule, readCronOptions } from "./create-cron-schedule.js";
import type { JobDefinition } from "./job-definition.js";

/** A tick that starts this much after its scheduled time is logged as late (ms); it runs all the same. */
export const lateTickToleranceMs = 1000;

export interface CronTriggers {
  /** When each job fires next (null once stopped). */
  nextRuns(): { readonly job: string; readonly nextRunAt: Date | null }[];
  /** Stops every trigger: no tick fires after this. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Drives the scheduler's ticks from croner: one timer per job, in the job's zone, read as the catch-up
 * reads it (readCronOptions). croner's overrun protection keeps a job from starting while its previous run
 * is going (the scheduler also refuses a tick while any run of this process is going). A tick the process
 * reaches late (blocked, or asleep at the scheduled time) still runs, once, and is logged as late. Logs each
 * job's next fire time.
 */
export function startCronTriggers(scheduler: Scheduler, logger: Logger): Promise<CronTriggers> {
  const triggers = scheduler.jobs.map((job) => ({ job, cron: startCronTrigger(scheduler, logger, job) }));
  for (const { job, cron } of triggers) {
    logger.info(
      {
        job: job.name,
        schedule: job.schedule,
        timezone: job.timezone,
        request: job.request.kind,
        nextRunAt: cron.nextRun()?.toISOString() ?? null,
      },
      "job scheduled",
    );
  }
  return Promise.resolve({
    nextRuns: () => triggers.map(({ job, cron }) => ({ job: job.name, nextRunAt: cron.nextRun() })),
    stop() {
      // croner's stop clears the timer at once, and again is a no-op.
      for (const { cron } of triggers) cron.stop();
      return Promise.resolve();
    },
  });
}

function startCronTrigger(scheduler: Scheduler, logger: Logger, job: JobDefinition): Cron {
  const schedule = createCronSchedule(job.schedule, job.timezone);
  // croner passes the instant it fired, not the time it fired for: that is the latest fire time so far.
  const findScheduledAt = () => schedule.findPreviousFireAt(Date.now())?.toISOString() ?? null;
  return new Cron(
    job.schedule,
    {
      ...readCronOptions(job.timezone),
      protect: () => {
        logger.warn(
          { job: job.name, trigger: "schedule", scheduledAt: findScheduledAt() },
          "tick skipped: this job's previous run is still going",
        );
      },
      // tick never rejects; this is for a bug in the logging around it, which must not stop the timer.
      catch: (error) => {
        logger.error({ job: job.name, err: describeError(error) }, "the cron trigger failed");
      },
    },
    async (cron) => {
      const firedAtMs = Date.now();
      const scheduledAt = schedule.findPreviousFireAt(firedAtMs);
      if (scheduledAt !== undefined && firedAtMs - scheduledAt.getTime() > lateTickToleranceMs) {
        logger.warn(
          {
            job: job.name,
            scheduledAt: scheduledAt.toISOString(),
            lateMs: firedAtMs - scheduledAt.getTime(),
          },
          "tick late: the process was blocked or asleep at the scheduled time; running it now",
        );
      }
      const result = await scheduler.tick(job.name, "schedule");
      if (result.status === "ran") {
        logger.info({ job: job.name, nextRunAt: cron.nextRun()?.toISOString() ?? null }, "next run");
      }
    },
  );
}
