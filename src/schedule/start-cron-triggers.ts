import { createTask, type Logger as CronLogger, type ScheduledTask } from "node-cron";
import type { Logger } from "../logger.js";
import type { Scheduler } from "./create-scheduler.js";
import type { JobDefinition } from "./job-definition.js";

export interface CronTriggers {
  /** When each job fires next (null once stopped). */
  nextRuns(): { readonly job: string; readonly nextRunAt: Date | null }[];
  /** Stops every task: no tick fires after this. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Drives the scheduler's ticks from node-cron: one task per job, in the job's zone, with noOverlap so a job
 * never starts while its previous run is going (the scheduler also refuses a tick while any run of this
 * process is going). Logs each job's next fire time.
 */
export async function startCronTriggers(scheduler: Scheduler, logger: Logger): Promise<CronTriggers> {
  const cronLog = logger.child({ source: "node-cron" });
  // node-cron's own warnings are about overlaps and missed ticks, which are logged below with more context.
  const cronLogger: CronLogger = {
    info: (message) => {
      cronLog.debug(message);
    },
    warn: (message) => {
      cronLog.debug(message);
    },
    error: (message, error) => {
      cronLog.error({ err: error?.message }, message instanceof Error ? message.message : message);
    },
    debug: (message) => {
      cronLog.debug(message instanceof Error ? message.message : message);
    },
  };
  const tasks: { job: JobDefinition; task: ScheduledTask }[] = scheduler.jobs.map((job) => {
    const task = createTask(
      job.schedule,
      async () => {
        const result = await scheduler.tick(job.name, "schedule");
        if (result.status === "ran") {
          logger.info({ job: job.name, nextRunAt: task.getNextRun()?.toISOString() ?? null }, "next run");
        }
      },
      { name: job.name, timezone: job.timezone, noOverlap: true, logger: cronLogger },
    );
    task.on("execution:overlap", (context) => {
      logger.warn(
        { job: job.name, trigger: "schedule", scheduledAt: context.date.toISOString() },
        "tick skipped: this job's previous run is still going",
      );
    });
    task.on("execution:missed", (context) => {
      logger.warn(
        { job: job.name, scheduledAt: context.date.toISOString() },
        "tick missed: the process was blocked or asleep at the scheduled time; the next one runs as usual",
      );
    });
    return { job, task };
  });
  for (const { job, task } of tasks) {
    await task.start();
    logger.info(
      {
        job: job.name,
        schedule: job.schedule,
        timezone: job.timezone,
        request: job.request.kind,
        nextRunAt: task.getNextRun()?.toISOString() ?? null,
      },
      "job scheduled",
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    nextRuns: () => tasks.map(({ job, task }) => ({ job: job.name, nextRunAt: task.getNextRun() })),
    stop() {
      stopped ??= (async () => {
        for (const { task } of tasks) await task.destroy();
      })();
      return stopped;
    },
  };
}
