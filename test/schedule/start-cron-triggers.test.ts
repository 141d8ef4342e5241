import type { Scheduler, TickResult, TickTrigger } from "../../src/schedule/create-scheduler.js";
import type { JobDefinition } from "../../src/schedule/job-definition.js";
import { startCronTriggers, type CronTriggers } from "../../src/schedule/start-cron-triggers.js";
import { captureLogger } from "./capture-logger.js";
import { waitFor } from "../support/wait-for.js";

const everySecond: JobDefinition = {
  name: "every-second",
  schedule: "* * * * * *",
  timezone: "Europe/London",
  request: { kind: "incremental" },
};
const nightly: JobDefinition = {
  name: "nightly-sync",
  schedule: "0 2 * * *",
  timezone: "America/New_York",
  request: { kind: "incremental" },
};

/** A scheduler whose ticks are recorded, and end when the test releases them. */
function recordingScheduler(jobs: readonly JobDefinition[]) {
  const ticks: { job: string; trigger: TickTrigger; release: () => void }[] = [];
  const scheduler: Scheduler = {
    jobs,
    running: undefined,
    tick: (job, trigger) =>
      new Promise<TickResult>((resolve) => {
        ticks.push({
          job,
          trigger,
          release: () => {
            resolve({ status: "skipped", reason: "busy" });
          },
        });
      }),
    decideCatchUp: () => Promise.reject(new Error("not used")),
    catchUp: () => Promise.resolve(),
    whenIdle: () => Promise.resolve(),
  };
  return { scheduler, ticks };
}

describe("the cron triggers of the schedule command", () => {
  let triggers: CronTriggers | undefined;

  afterEach(async () => {
    await triggers?.stop();
    triggers = undefined;
  });

  test("each job is logged with its next fire time, read in its zone", async () => {
    const log = captureLogger();
    triggers = await startCronTriggers(recordingScheduler([nightly]).scheduler, log.logger);
    const [scheduled] = log.withMessage("job scheduled");
    expect(scheduled).toMatchObject({
      job: "nightly-sync",
      schedule: "0 2 * * *",
      timezone: "America/New_York",
    });
    // 02:00 in New York is 06:00 or 07:00 UTC, or 07:00 on the day 02:00 does not exist.
    expect(scheduled?.nextRunAt).toMatch(/T0[67]:00:00\.000Z$/);
    const [next] = triggers.nextRuns();
    expect(next?.nextRunAt?.toISOString()).toBe(scheduled?.nextRunAt);
  });

  test("a trigger ticks its job, skips it with a warning while that tick is going, and stops", async () => {
    const log = captureLogger();
    const { scheduler, ticks } = recordingScheduler([everySecond]);
    triggers = await startCronTriggers(scheduler, log.logger);
    await waitFor("the first tick", () => ticks.length === 1, 5000);
    expect(ticks[0]).toMatchObject({ job: "every-second", trigger: "schedule" });
    // The tick is still going when the next second comes: croner's overrun protection skips it.
    const [skipped] = await waitFor(
      "the overlap warning",
      () => {
        const lines = log.withMessage("tick skipped: this job's previous run is still going");
        return lines.length > 0 && lines;
      },
      5000,
    );
    expect(skipped).toMatchObject({ job: "every-second", trigger: "schedule" });
    expect(ticks).toHaveLength(1);
    await triggers.stop();
    ticks[0]?.release();
    expect(triggers.nextRuns()).toEqual([{ job: "every-second", nextRunAt: null }]);
  });
});
