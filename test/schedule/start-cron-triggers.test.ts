import { getTasks } from "node-cron";
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
/** The nightly schedule with a seconds field, so that the clock ticks every second and the test is quick. */
const nightlyToTheSecond: JobDefinition = { ...nightly, schedule: "0 0 2 * * *" };

/** A clock the test sets; `looks` counts how often it was read, so a test can wait for the next tick. */
function settableClock(iso: string) {
  let nowMs = Date.parse(iso);
  const clock = {
    looks: 0,
    now: () => {
      clock.looks++;
      return nowMs;
    },
    set: (to: string) => {
      nowMs = Date.parse(to);
    },
    /** Resolves once the node-cron clock has ticked (and so read the time) `count` more times. */
    ticked: (count: number) => {
      const target = clock.looks + count;
      return waitFor(`${count} ticks of the clock`, () => clock.looks >= target, 5000);
    },
  };
  return clock;
}

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
    // The tick is still going when the next second comes: that tick is skipped.
    const [skipped] = await waitFor(
      "the overlap warning",
      () => {
        const lines = log.withMessage("tick skipped: this job's previous run is still going");
        return lines.length > 0 && lines;
      },
      5000,
    );
    expect(skipped).toMatchObject({ job: "every-second", trigger: "schedule" });
    expect(skipped?.scheduledAt).toMatch(/:\d\d\.000Z$/);
    expect(ticks).toHaveLength(1);
    await triggers.stop();
    ticks[0]?.release();
    expect(triggers.nextRuns()).toEqual([{ job: "every-second", nextRunAt: null }]);
  });

  test("node-cron is the clock: one task, every minute, or every second when a job has a seconds field", async () => {
    const log = captureLogger();
    triggers = await startCronTriggers(recordingScheduler([nightly]).scheduler, log.logger);
    expect([...getTasks().values()].map((task) => task.getPattern())).toEqual(["* * * * *"]);
    await triggers.stop();
    expect(getTasks().size).toBe(0);
    triggers = await startCronTriggers(recordingScheduler([nightly, everySecond]).scheduler, log.logger);
    expect([...getTasks().values()].map((task) => task.getPattern())).toEqual(["* * * * * *"]);
  });

  test("croner's calendar decides: on the day New York skips 02:00, the job ticks once at 03:00 EDT", async () => {
    const log = captureLogger();
    const { scheduler, ticks } = recordingScheduler([nightlyToTheSecond]);
    // 2026-03-08 01:59 EST; clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC).
    const clock = settableClock("2026-03-08T06:59:00Z");
    triggers = await startCronTriggers(scheduler, log.logger, clock.now);
    expect(log.withMessage("job scheduled")[0]?.nextRunAt).toBe("2026-03-08T07:00:00.000Z");
    await clock.ticked(2);
    expect(ticks).toHaveLength(0);
    clock.set("2026-03-08T07:00:00.200Z");
    await waitFor("the 03:00 EDT tick", () => ticks.length === 1, 5000);
    // Later ticks find that fire time handled: no second tick, no overlap warning, not late.
    await clock.ticked(2);
    expect(ticks).toHaveLength(1);
    expect(log.withMessage("tick skipped: this job's previous run is still going")).toEqual([]);
    expect(
      log.withMessage("tick late: the process was blocked or asleep at the scheduled time; running it now"),
    ).toEqual([]);
    expect(triggers.nextRuns()).toEqual([
      { job: "nightly-sync", nextRunAt: new Date("2026-03-09T06:00:00Z") },
    ]);
    ticks[0]?.release();
  });

  test("a clock that reaches two fire times late ticks once, for the latest, logged as late", async () => {
    const log = captureLogger();
    const { scheduler, ticks } = recordingScheduler([nightlyToTheSecond]);
    const clock = settableClock("2026-03-08T12:00:00Z");
    triggers = await startCronTriggers(scheduler, log.logger, clock.now);
    await clock.ticked(1);
    // Asleep for two days: 02:00 EDT (06:00 UTC) passed on the 9th and on the 10th.
    clock.set("2026-03-10T06:00:05Z");
    await waitFor("the late tick", () => ticks.length === 1, 5000);
    expect(ticks[0]).toMatchObject({ job: "nightly-sync", trigger: "schedule" });
    expect(
      log.withMessage("tick late: the process was blocked or asleep at the scheduled time; running it now"),
    ).toEqual([
      expect.objectContaining({ job: "nightly-sync", scheduledAt: "2026-03-10T06:00:00.000Z", lateMs: 5000 }),
    ]);
    ticks[0]?.release();
    await clock.ticked(2);
    expect(ticks).toHaveLength(1);
  });
});
