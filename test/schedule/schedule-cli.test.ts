import pg from "pg";
import { findFreePort } from "../../tools/embedded-postgres/find-free-port.js";
import { runLockKey } from "../../src/db/run-lock.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { fixtureEnv, testKeys } from "../support/sync-fixture.js";
import { runCli, startCliProcess } from "../support/cli-process.js";
import { waitFor } from "../support/wait-for.js";

/** SHUTDOWN_TIMEOUT of these tests: a clean stop must come well within it. */
const shutdownTimeoutMs = 10_000;

describe("zephr-sync schedule and signals, as spawned processes", () => {
  let db: TestDatabase;
  let simulator: ZephrSimulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    simulator = await startZephrSimulator({ ...testKeys, users: { count: 150, seed: 31 } });
    env = fixtureEnv(db.databaseUrl, simulator.url, {
      LOG_LEVEL: "info",
      // A stalled body hangs until the signal, not until the idle timeout.
      ZEPHR_IDLE_TIMEOUT: "60s",
      ZEPHR_RETRIES: "0",
      SHUTDOWN_TIMEOUT: `${shutdownTimeoutMs / 1000}s`,
    });
    expect((await runCli(["run"], env)).code).toBe(0);
  });

  afterAll(async () => {
    await simulator.close();
    await db.drop();
  });

  beforeEach(() => {
    simulator.faults.clear();
    simulator.requests.length = 0;
  });

  async function latestRunStatus(): Promise<string | undefined> {
    const result = await db.pool.query<{ status: string }>(
      "select status from zephr.sync_runs order by run_id desc limit 1",
    );
    return result.rows[0]?.status;
  }

  /** Whether a fresh session can take the run lock (then gives it back). */
  async function runLockIsFree(): Promise<boolean> {
    const client = new pg.Client({ connectionString: db.databaseUrl });
    await client.connect();
    try {
      const result = await client.query<{ locked: boolean }>(
        "select pg_try_advisory_lock($1::bigint) as locked",
        [runLockKey],
      );
      return result.rows[0]?.locked === true;
    } finally {
      await client.end();
    }
  }

  const stalled = () => simulator.requests.some((request) => request.fault === "stall");

  /** Changes users now, so the next incremental export has three pages of them (ZEPHR_PAGE_SIZE 50). */
  function touchUsers(plan: string): void {
    for (const userId of [...simulator.store.userIds()].slice(0, 120)) {
      simulator.store.editAttribute(userId, "plan", plan);
    }
  }

  test("--help documents the schedule command and what signals do", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("zephr-sync schedule");
    expect(result.stdout).toContain("SIGTERM or SIGINT cancels the current run");
  });

  test("schedule exits 2 naming an invalid SYNC_SCHEDULE and SYNC_TIMEZONE", async () => {
    const result = await runCli(["schedule"], {
      ...env,
      SYNC_SCHEDULE: "every night",
      FULL_SYNC_SCHEDULE: "0 99 * * *",
      SYNC_TIMEZONE: "Mars/Olympus",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SYNC_SCHEDULE="every night" is not a cron expression');
    expect(result.stderr).toContain('FULL_SYNC_SCHEDULE="0 99 * * *" is not a cron expression');
    expect(result.stderr).toContain('SYNC_TIMEZONE="Mars/Olympus" is not an IANA time zone');
  });

  test("schedule catches up a missed run at start, and SIGTERM mid-run cancels it and exits 0", async () => {
    const watermark = await findWatermark(db.pool, usersStream);
    expect(watermark).not.toBeNull();
    // The last success was two days ago: today's (or yesterday's) 02:00 run was missed.
    await db.pool.query(
      `update zephr.sync_runs set started_at = started_at - interval '2 days', finished_at = finished_at - interval '2 days'`,
    );
    touchUsers("gold");
    simulator.faults.push({ kind: "stall", afterBytes: 2000, page: 2 });
    const metricsPort = await findFreePort();
    const schedule = startCliProcess(["schedule"], {
      ...env,
      SYNC_SCHEDULE: "0 2 * * *",
      METRICS_PORT: String(metricsPort),
    });
    try {
      expect(await schedule.waitForLog("job scheduled")).toMatchObject({
        job: "nightly-sync",
        schedule: "0 2 * * *",
        timezone: "UTC",
        nextRunAt: expect.stringMatching(/T02:00:00\.000Z$/) as unknown,
      });
      await schedule.waitForLog("catch-up: the previous scheduled run was missed; running it now");
      await waitFor("the export to stall on page 2", stalled);
      const health = await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json();
      expect(health).toMatchObject({ status: "ok", running: true });
      // Seeded from zephr.sync_runs at start: the (backdated) success of the first run.
      const lastSuccess = await db.pool.query<{ seconds: number }>(
        `select extract(epoch from date_trunc('milliseconds', max(finished_at)))::float8 as seconds from zephr.sync_runs where status = 'succeeded'`,
      );
      const metricsText = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metricsText.split("\n")).toEqual(
        expect.arrayContaining([
          `zephr_sync_last_success_timestamp_seconds ${lastSuccess.rows[0]?.seconds}`,
          "zephr_sync_running 1",
        ]) as unknown,
      );
      expect(await latestRunStatus()).toBe("running");

      const signalledAtMs = Date.now();
      schedule.kill("SIGTERM");
      const exit = await schedule.exited;
      expect(exit.code).toBe(0);
      expect(exit.atMs - signalledAtMs).toBeLessThan(shutdownTimeoutMs);
    } finally {
      schedule.kill("SIGKILL");
      await schedule.exited;
    }
    const messages = schedule.logLines().map((line) => line.msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        "received SIGTERM: stopping the current run, then exiting (send it again, a second or more from now, to exit at once)",
        "run cancelled by shutdown; the watermark is unchanged",
        "scheduler stopped",
      ]) as unknown,
    );
    expect(await latestRunStatus()).toBe("cancelled");
    expect(await findWatermark(db.pool, usersStream)).toEqual(watermark);
    expect(await runLockIsFree()).toBe(true);
  });

  test("a six-field cron expression fires the job every few seconds; SIGTERM while idle exits 0", async () => {
    const schedule = startCliProcess(["schedule"], { ...env, SYNC_SCHEDULE: "*/2 * * * * *" });
    try {
      await waitFor("a run started by the cron", () =>
        schedule
          .logLines()
          .find((line) => line.msg === "tick: starting a run" && line.trigger === "schedule"),
      );
      await waitFor("it to succeed", () =>
        schedule
          .logLines()
          .find((line) => line.msg === "scheduled run succeeded" && line.trigger === "schedule"),
      );
      schedule.kill("SIGTERM");
      expect((await schedule.exited).code).toBe(0);
    } finally {
      schedule.kill("SIGKILL");
      await schedule.exited;
    }
    expect(await latestRunStatus()).toMatch(/^(succeeded|cancelled)$/);
    expect(await runLockIsFree()).toBe(true);
  });

  test("run cancelled by SIGTERM exits 1, leaves the watermark and frees the lock", async () => {
    const watermark = await findWatermark(db.pool, usersStream);
    touchUsers("silver");
    simulator.faults.push({ kind: "stall", afterBytes: 2000, page: 2 });
    const run = startCliProcess(["run"], env);
    try {
      await waitFor("the export to stall on page 2", stalled);
      const signalledAtMs = Date.now();
      run.kill("SIGTERM");
      const exit = await run.exited;
      expect(exit.code).toBe(1);
      expect(exit.atMs - signalledAtMs).toBeLessThan(shutdownTimeoutMs);
    } finally {
      run.kill("SIGKILL");
      await run.exited;
    }
    expect(run.stdout()).toMatch(/cancel/i);
    expect(await latestRunStatus()).toBe("cancelled");
    expect(await findWatermark(db.pool, usersStream)).toEqual(watermark);
    expect(await runLockIsFree()).toBe(true);
  });
});
