import { startLoadedCliFixture, type CliFixture } from "../support/cli-fixture.js";
import { waitFor } from "../support/wait-for.js";
import { findBackends, withUsersTrigger } from "../support/users-trigger.js";

/**
 * The process itself dying or being asked to stop in the middle of an export (held there by a stalled
 * page): SIGKILL leaves a `running` row and frees the lock with its connection; SIGTERM stops cleanly.
 * Either way the watermark stays and the next run repairs everything.
 */
describe("the job's process killed or stopped mid-run", () => {
  let f: CliFixture;

  beforeAll(async () => {
    f = await startLoadedCliFixture("process-faults", { count: 120, seed: 81 });
  });

  beforeEach(() => {
    f.prepareCase();
  });

  afterEach(async () => {
    await f.endCase();
  });

  afterAll(async () => {
    await f.close();
  });

  /** Starts `run`, lets it load page 1, and holds it on a page 2 that never finishes arriving. */
  async function startStalledRun(env: Record<string, string> = {}) {
    f.simulator.faults.push({ kind: "stall", afterBytes: 2000, page: 2 });
    // Batches of 20: two of page 1's are committed before page 2 stalls.
    const process = f.start(["run"], { ZEPHR_IDLE_TIMEOUT: "30s", SYNC_BATCH_SIZE: "20", ...env });
    await waitFor("the stalled second page", () => f.simulator.requests.some((r) => r.fault === "stall"));
    const run = await waitFor("page 1's first batches loaded", async () => {
      const latest = await f.latestRun();
      return latest?.status === "running" && latest.usersReceived >= 40 ? latest : undefined;
    });
    return { process, run };
  }

  test("SIGKILL mid-export: the lock is freed, the next run marks the row abandoned and loads everything", async () => {
    const before = await f.watermark();
    const { process, run } = await startStalledRun();
    process.kill("SIGKILL");
    expect(await process.exited).toMatchObject({ code: null, signal: "SIGKILL" });
    expect(await f.db.pool.query("select 1 from zephr.sync_runs where status = 'running'")).toMatchObject({
      rowCount: 1,
    });
    expect(await f.watermark()).toEqual(before);

    f.simulator.faults.clear();
    const next = await f.cli(["run"]);
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/marked runs left running by a dead process as abandoned/);
    const killed = await f.db.pool.query<{ status: string; error_code: string; finished_at: Date | null }>(
      "select status, error_code, finished_at from zephr.sync_runs where run_id = $1::bigint",
      [run.runId],
    );
    expect(killed.rows[0]).toMatchObject({ status: "abandoned", error_code: "ABANDONED" });
    expect(killed.rows[0]?.finished_at).not.toBeNull();
    expect(await f.latestRun()).toMatchObject({ status: "succeeded" });
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  });

  test("SIGTERM mid-export: the run stops at once as cancelled, releases the lock and exits 1; the next run heals", async () => {
    const before = await f.watermark();
    const { process, run } = await startStalledRun();
    const signalledAt = Date.now();
    process.kill("SIGTERM");
    const exited = await process.exited;
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(exited).toMatchObject({ code: 1, signal: null });
    expect(process.stdout()).toMatch(
      /was cancelled \[CANCELLED\]: Stopped by a signal before the export finished/,
    );
    const stopped = await f.db.pool.query<{ status: string; error_code: string; finished_at: Date | null }>(
      "select status, error_code, finished_at from zephr.sync_runs where run_id = $1::bigint",
      [run.runId],
    );
    expect(stopped.rows[0]).toMatchObject({ status: "cancelled", error_code: "CANCELLED" });
    expect(stopped.rows[0]?.finished_at).not.toBeNull();
    expect(await f.watermark()).toEqual(before);

    f.simulator.faults.clear();
    const next = await f.cli(["run"]);
    expect(next.code).toBe(0);
    expect(next.stderr).not.toMatch(/abandoned/);
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  });

  /** Starts `run` while every batch upsert sleeps `seconds` in a trigger; resolves once one is asleep. */
  async function startRunInSlowBatch(env: Record<string, string> = {}) {
    const process = f.start(["run"], env);
    await waitFor("a batch statement in flight", async () =>
      (await findBackends(f.db.pool, f.db.name, "zephr-sync")).some((b) => b.wait_event === "PgSleep"),
    );
    const run = await f.latestRun();
    if (run === undefined) throw new Error("no run row");
    return { process, run };
  }

  test("SIGTERM while a batch is being written: the batch ends first, then the run is cancelled", async () => {
    const before = await f.watermark();
    await withUsersTrigger(f.db.pool, "perform pg_sleep(0.6)", async () => {
      // Page 1 is one batch, asleep in the trigger when the signal comes; page 2 is slow to come.
      f.simulator.faults.push({ kind: "stall", afterBytes: 0, page: 2, ms: 3000 });
      const { process, run } = await startRunInSlowBatch({
        SYNC_BATCH_SIZE: "50",
        ZEPHR_IDLE_TIMEOUT: "10s",
      });
      process.kill("SIGTERM");
      expect(await process.exited).toMatchObject({ code: 1, signal: null });
      // The batch in flight committed (all 50 users of page 1), then the run stopped.
      expect(
        await f.db.pool.query("select status, users_written from zephr.sync_runs where run_id = $1::bigint", [
          run.runId,
        ]),
      ).toMatchObject({ rows: [{ status: "cancelled", users_written: 50 }] });
      // The lock went with the process: nothing of this database is still connected as the job.
      expect(await findBackends(f.db.pool, f.db.name, "zephr-sync lock")).toEqual([]);
    });
    expect(await f.watermark()).toEqual(before);
    expect((await f.cli(["run"])).code).toBe(0);
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  });

  test("SIGTERM while the last batch is written, after the last page: still cancelled, as documented", async () => {
    const before = await f.watermark();
    await withUsersTrigger(f.db.pool, "perform pg_sleep(0.6)", async () => {
      // All of the night's users fit one batch, written once the export has ended.
      const { process, run } = await startRunInSlowBatch();
      await waitFor("the export's end to be logged", () =>
        process.logLines().some((line) => line.msg === "export read"),
      );
      process.kill("SIGTERM");
      expect(await process.exited).toMatchObject({ code: 1, signal: null });
      expect(
        await f.db.pool.query("select status from zephr.sync_runs where run_id = $1::bigint", [run.runId]),
      ).toMatchObject({ rows: [{ status: "cancelled" }] });
    });
    expect(await f.watermark()).toEqual(before);
    expect((await f.cli(["run"])).code).toBe(0);
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  });

  test("a second SIGTERM exits at once with 143; the next run marks the row abandoned and heals", async () => {
    const before = await f.watermark();
    const runId = await withUsersTrigger(f.db.pool, "perform pg_sleep(3)", async () => {
      const { process, run } = await startRunInSlowBatch({ SHUTDOWN_TIMEOUT: "30s" });
      const firstAt = Date.now();
      process.kill("SIGTERM");
      await waitFor("the first signal to be logged", () =>
        process.logLines().some((line) => line.signal === "SIGTERM"),
      );
      // Within a second of the first, a signal counts as the first delivered twice (npx): not "again".
      await waitFor("the repeat grace period to pass", () => Date.now() - firstAt > 1100);
      const secondAt = Date.now();
      process.kill("SIGTERM");
      expect(await process.exited).toMatchObject({ code: 143, signal: null });
      expect(Date.now() - secondAt).toBeLessThan(1000);
      expect(process.stderr()).toMatch(/received SIGTERM again: exiting now/);
      return run.runId;
    });
    expect(await f.watermark()).toEqual(before);
    // The dead process's batch may still be asleep in the server; it rolls back when it wakes.
    await waitFor(
      "the dead process's backends to go",
      async () => (await findBackends(f.db.pool, f.db.name, "zephr-sync")).length === 0,
    );
    expect((await f.cli(["run"])).code).toBe(0);
    expect(
      await f.db.pool.query("select status from zephr.sync_runs where run_id = $1::bigint", [runId]),
    ).toMatchObject({ rows: [{ status: "abandoned" }] });
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  });
});
