import pg from "pg";
import { runLockKey } from "../../src/db/run-lock.js";
import { findRun } from "../../src/db/sync-runs.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

describe("one run at a time", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 300, seed: 9 } });
  });

  beforeEach(async () => {
    await fixture.reset();
  });

  afterAll(async () => {
    await fixture.close();
  });

  test("a run finds the lock taken by another session and does nothing", async () => {
    const holder = new pg.Client({ connectionString: fixture.db.databaseUrl });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock($1::bigint)", [runLockKey]);
      expect(await fixture.run()).toEqual({ status: "locked" });
      expect(fixture.exportRequests()).toHaveLength(0);
      const runs = await fixture.db.pool.query("select 1 from zephr.sync_runs");
      expect(runs.rowCount).toBe(0);
    } finally {
      await holder.end();
    }
  });

  test("of two runs started together, one runs and the other reports the lock", async () => {
    const outcomes = await Promise.all([fixture.run(), fixture.run()]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["locked", "succeeded"]);
  });

  test("a run left 'running' by a dead process is marked abandoned by the next run", async () => {
    const stale = await fixture.db.pool.query<{ run_id: string }>(
      "insert into zephr.sync_runs (kind, status) values ('incremental', 'running') returning run_id",
    );
    const staleId = stale.rows[0]?.run_id ?? "";
    expectSucceeded(await fixture.run());
    expect(await findRun(fixture.db.pool, staleId)).toMatchObject({
      status: "abandoned",
      errorCode: "ABANDONED",
    });
  });

  test("the lock is released after every run, failed ones included", async () => {
    fixture.simulator.faults.push({ kind: "status", status: 401 });
    expect((await fixture.run()).status).toBe("failed");
    const probe = await fixture.db.pool.query<{ locked: boolean }>(
      "select pg_try_advisory_lock($1::bigint) as locked",
      [runLockKey],
    );
    expect(probe.rows[0]?.locked).toBe(true);
    await fixture.db.pool.query("select pg_advisory_unlock_all()");
  });
});
