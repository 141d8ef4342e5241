import pg from "pg";
import { runLockKey } from "../../src/db/run-lock.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import type { Pool } from "../../src/db/pool.js";
import { createSyncMetrics } from "../../src/metrics/sync-metrics.js";
import { classifyOutcome } from "../../src/schedule/classify-outcome.js";
import { createScheduler, type Scheduler, type SchedulerDeps } from "../../src/schedule/create-scheduler.js";
import type { JobDefinition, ScheduledRequest } from "../../src/schedule/job-definition.js";
import type { SyncOutcome } from "../../src/sync/run/run-sync.js";
import { startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";
import { captureLogger, type CapturedLog } from "./capture-logger.js";
import { waitFor } from "../support/wait-for.js";

const nightly: JobDefinition = {
  name: "nightly-sync",
  schedule: "0 2 * * *",
  timezone: "UTC",
  request: { kind: "incremental" },
};
const weeklyFull: JobDefinition = {
  name: "full-reconciliation",
  schedule: "0 4 * * 0",
  timezone: "UTC",
  request: { kind: "full" },
};

/** Inserts a finished run row as a run of another day would have left it. */
async function insertFinishedRun(
  pool: Pool,
  kind: "incremental" | "full",
  status: "succeeded" | "failed",
  finishedAtIso: string,
): Promise<void> {
  await pool.query(
    `insert into zephr.sync_runs (kind, status, started_at, finished_at)
     values ($1::text, $2::text, $3::timestamptz - interval '5 minutes', $3::timestamptz)`,
    [kind, status, finishedAtIso],
  );
}

/** A fake sync whose runs end when the test says so. */
function controllableSync() {
  const started: {
    request: ScheduledRequest;
    signal: AbortSignal;
    finish: (outcome: SyncOutcome) => void;
  }[] = [];
  const sync = (request: ScheduledRequest, signal: AbortSignal) =>
    new Promise<SyncOutcome>((resolve) => {
      started.push({ request, signal, finish: resolve });
    });
  return { started, sync };
}

describe("the scheduler engine, with an injected clock", () => {
  let fixture: SyncFixture;
  let log: CapturedLog;
  let shutdown: AbortController;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 120, seed: 17 } });
  });

  afterAll(async () => {
    await fixture.close();
  });

  beforeEach(async () => {
    // Every test starts from an empty run history (and so no watermark and no users).
    await fixture.db.pool.query("truncate zephr.sync_runs cascade");
    fixture.simulator.faults.clear();
    fixture.simulator.requests.length = 0;
    fixture.clock.nowMs = Date.parse("2026-11-29T03:00:00Z");
    log = captureLogger();
    shutdown = new AbortController();
  });

  function schedulerWith(
    jobs: readonly JobDefinition[],
    overrides: Partial<SchedulerDeps> = {},
  ): { scheduler: Scheduler; runs: ScheduledRequest[] } {
    const runs: ScheduledRequest[] = [];
    const scheduler = createScheduler(
      {
        pool: fixture.db.pool,
        logger: log.logger,
        now: fixture.clock.now,
        signal: shutdown.signal,
        sync: (request, signal) => {
          runs.push(request);
          return fixture.run(request, undefined, signal);
        },
        ...overrides,
      },
      jobs,
    );
    return { scheduler, runs };
  }

  test("catch-up runs a job that never succeeded, once", async () => {
    const { scheduler, runs } = schedulerWith([nightly]);
    await scheduler.catchUp();
    expect(runs).toEqual([{ kind: "incremental" }]);
    expect(log.withMessage("catch-up: the job never succeeded; running it now")).toHaveLength(1);
    expect(log.withMessage("scheduled run succeeded")).toHaveLength(1);
  });

  test("catch-up runs the job once when its last success ended before the previous scheduled time", async () => {
    await insertFinishedRun(fixture.db.pool, "incremental", "succeeded", "2026-11-28T02:07:00Z");
    // A failure after the scheduled time does not count as having run it.
    await insertFinishedRun(fixture.db.pool, "incremental", "failed", "2026-11-29T02:03:00Z");
    const { scheduler, runs } = schedulerWith([nightly]);
    expect(await scheduler.decideCatchUp("nightly-sync")).toMatchObject({
      due: true,
      reason: "missed",
      previousFireAt: new Date("2026-11-29T02:00:00Z"),
    });
    await scheduler.catchUp();
    expect(runs).toHaveLength(1);
    expect(
      log.withMessage("catch-up: the previous scheduled run was missed; running it now")[0],
    ).toMatchObject({
      job: "nightly-sync",
      previousFireAt: "2026-11-29T02:00:00.000Z",
      lastSuccessAt: "2026-11-28T02:07:00.000Z",
    });
    // Decided from the database: the run just made is a success after 02:00, so a restart does not repeat it.
    await scheduler.catchUp();
    expect(runs).toHaveLength(1);
  });

  test("catch-up does nothing when the last success is newer than the previous scheduled time", async () => {
    await insertFinishedRun(fixture.db.pool, "incremental", "succeeded", "2026-11-29T02:04:00Z");
    const { scheduler, runs } = schedulerWith([nightly]);
    await scheduler.catchUp();
    expect(runs).toHaveLength(0);
    expect(
      log.withMessage("catch-up not needed: the last success is newer than the previous scheduled time"),
    ).toHaveLength(1);
  });

  test("a full run counts for the incremental job, but an incremental run does not count for the full job", async () => {
    fixture.clock.nowMs = Date.parse("2026-11-29T05:00:00Z"); // Sunday: the weekly full fired at 04:00
    await insertFinishedRun(fixture.db.pool, "incremental", "succeeded", "2026-11-29T04:30:00Z");
    const { scheduler } = schedulerWith([nightly, weeklyFull]);
    expect(await scheduler.decideCatchUp("nightly-sync")).toMatchObject({ due: false });
    expect(await scheduler.decideCatchUp("full-reconciliation")).toMatchObject({
      due: true,
      reason: "never-succeeded",
    });

    await fixture.db.pool.query("truncate zephr.sync_runs cascade");
    await insertFinishedRun(fixture.db.pool, "full", "succeeded", "2026-11-29T04:20:00Z");
    expect(await scheduler.decideCatchUp("nightly-sync")).toMatchObject({ due: false });
    expect(await scheduler.decideCatchUp("full-reconciliation")).toMatchObject({ due: false });
  });

  test("when both jobs are overdue, catch-up runs the full one first and then skips the incremental one", async () => {
    fixture.clock.nowMs = Date.parse("2026-11-29T05:00:00Z");
    await insertFinishedRun(fixture.db.pool, "full", "succeeded", "2026-11-20T04:20:00Z");
    const { scheduler, runs } = schedulerWith([nightly, weeklyFull]);
    await scheduler.catchUp();
    expect(runs).toEqual([{ kind: "full" }]);
  });

  test("a tick while a run of this process is going is skipped and logged, and the next one runs", async () => {
    const fake = controllableSync();
    const { scheduler } = schedulerWith([nightly, weeklyFull], { sync: fake.sync });
    const first = scheduler.tick("nightly-sync", "schedule");
    expect(scheduler.running).toMatchObject({ job: "nightly-sync", trigger: "schedule" });

    expect(await scheduler.tick("nightly-sync", "schedule")).toEqual({ status: "skipped", reason: "busy" });
    expect(await scheduler.tick("full-reconciliation", "schedule")).toEqual({
      status: "skipped",
      reason: "busy",
    });
    expect(fake.started).toHaveLength(1);
    expect(log.withMessage("tick skipped: a run started by this process is still going")).toEqual([
      expect.objectContaining({ job: "nightly-sync", runningJob: "nightly-sync" }),
      expect.objectContaining({ job: "full-reconciliation", runningJob: "nightly-sync" }),
    ]);

    const succeeded = await fixture.run();
    fake.started[0]?.finish(succeeded);
    expect(await first).toEqual({ status: "ran", outcome: succeeded });
    expect(scheduler.running).toBeUndefined();

    const next = scheduler.tick("full-reconciliation", "schedule");
    expect(fake.started).toHaveLength(2);
    fake.started[1]?.finish(succeeded);
    expect((await next).status).toBe("ran");
  });

  test("a tick that finds the run lock held by another process is skipped and logged", async () => {
    const holder = new pg.Client({ connectionString: fixture.db.databaseUrl });
    await holder.connect();
    const metrics = createSyncMetrics();
    try {
      await holder.query("select pg_advisory_lock($1::bigint)", [runLockKey]);
      const { scheduler } = schedulerWith([nightly], { metrics });
      expect(await scheduler.tick("nightly-sync", "schedule")).toEqual({
        status: "skipped",
        reason: "locked",
      });
      expect(
        log.withMessage("tick skipped: another process holds the run lock on this database"),
      ).toHaveLength(1);
      expect(await metrics.registry.getSingleMetricAsString("zephr_sync_runs_total")).toContain(
        'zephr_sync_runs_total{status="locked",kind="incremental"} 1',
      );
    } finally {
      await holder.end();
    }
  });

  test("a failed run is logged with its code and the next tick runs as usual", async () => {
    const { scheduler } = schedulerWith([nightly]);
    fixture.simulator.faults.push({ kind: "status", status: 401 });
    const failed = await scheduler.tick("nightly-sync", "schedule");
    expect(failed).toMatchObject({ status: "ran", outcome: { status: "failed" } });
    expect(
      log.withMessage("scheduled run failed; the watermark is unchanged and the next tick runs as usual")[0],
    ).toMatchObject({ job: "nightly-sync", code: "ZEPHR_AUTH" });

    fixture.clock.advance(24 * 3600_000);
    expect(await scheduler.tick("nightly-sync", "schedule")).toMatchObject({
      status: "ran",
      outcome: { status: "succeeded" },
    });
  });

  test("a sync that throws instead of returning an outcome is logged as a failure, and ticking goes on", async () => {
    let calls = 0;
    const { scheduler } = schedulerWith([nightly], {
      sync: () => {
        calls++;
        return Promise.reject(new Error("boom"));
      },
    });
    expect(await scheduler.tick("nightly-sync", "schedule")).toMatchObject({
      status: "ran",
      outcome: { status: "failed", error: { code: "INTERNAL" } },
    });
    expect(await scheduler.tick("nightly-sync", "schedule")).toMatchObject({ status: "ran" });
    expect(calls).toBe(2);
  });

  test("shutdown cancels the running run, leaves the watermark, and no tick starts another", async () => {
    const { scheduler } = schedulerWith([nightly]);
    await scheduler.tick("nightly-sync", "schedule");
    const watermark = await findWatermark(fixture.db.pool, usersStream);
    expect(watermark).not.toBeNull();

    fixture.simulator.faults.push({ kind: "stall", afterBytes: 5, page: 1 });
    const stalled = scheduler.tick("nightly-sync", "schedule");
    await waitFor("the stalled export request", () =>
      fixture.simulator.requests.some((request) => request.fault === "stall"),
    );
    shutdown.abort();
    const result = await stalled;
    await scheduler.whenIdle();
    // runSync reports it as cancelled (or, before that status existed, failed with code CANCELLED).
    if (result.status !== "ran") throw new Error(`expected the run to end, got ${result.status}`);
    expect(classifyOutcome(result.outcome)).toBe("cancelled");
    const runs = await fixture.db.pool.query<{ status: string }>(
      "select status from zephr.sync_runs order by run_id desc limit 1",
    );
    expect(runs.rows[0]?.status).toBe("cancelled");
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(watermark);

    expect(await scheduler.tick("nightly-sync", "schedule")).toEqual({
      status: "skipped",
      reason: "stopping",
    });
    await scheduler.catchUp();
    expect(fixture.simulator.requests.filter((request) => request.fault === "stall")).toHaveLength(1);
  });
});
