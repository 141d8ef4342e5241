import { generateUserId } from "../../tools/simulator/index.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { findRun } from "../../src/db/sync-runs.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { waitFor } from "../support/wait-for.js";
import { readStatus } from "../../src/sync/run/read-status.js";
import { captureSqlTexts } from "../support/capture-sql.js";
import { readRowVersions, readWarehouse } from "../support/warehouse-snapshot.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";

const seed = 31;

/** Runs `fn` and says whether the job read the live users' ids back to compare them with the export. */
async function readLiveIds<T>(fn: () => Promise<T>): Promise<{ result: T; readLiveIds: boolean }> {
  const capture = captureSqlTexts();
  try {
    const result = await fn();
    return {
      result,
      readLiveIds: capture.texts.some((text) => text.includes("where deleted_at is null and")),
    };
  } finally {
    capture.restore();
  }
}

async function deletedUsers(fixture: SyncFixture): Promise<string[]> {
  const result = await fixture.db.pool.query<{ user_id: string }>(
    "select user_id from zephr.users where deleted_at is not null order by user_id",
  );
  return result.rows.map((r) => r.user_id);
}

function registrationQueries(fixture: SyncFixture): string[] {
  return fixture
    .exportRequests()
    .map((r) => /registeredSince=([^&]+)&registeredBefore=([^&]+)/.exec(r.query))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${decodeURIComponent(m[1] ?? "")}..${decodeURIComponent(m[2] ?? "")}`);
}

describe("full reconciliation", () => {
  let fixture: SyncFixture;

  beforeEach(async () => {
    fixture = await startSyncFixture({ users: { count: 120, seed } });
    expectSucceeded(await fixture.run());
    fixture.clock.advance(86_400_000);
  });

  afterEach(async () => {
    await fixture.close();
  });

  test("marks users a complete export no longer lists as deleted, keeps their data, and moves the watermark forward", async () => {
    const gone = [generateUserId(4, seed), generateUserId(77, seed)].sort();
    for (const id of gone) fixture.simulator.store.remove(id);
    const before = await findWatermark(fixture.db.pool, usersStream);
    const { result, readLiveIds: compared } = await readLiveIds(() => fixture.run({ kind: "full" }));
    const outcome = expectSucceeded(result);
    expect(compared).toBe(true);
    expect(outcome).toMatchObject({ kind: "full", usersDeleted: 2, usersPurged: 0 });
    expect(await deletedUsers(fixture)).toEqual(gone);
    const grants = await fixture.db.pool.query(
      "select 1 from zephr.user_attributes where user_id = any($1::uuid[])",
      [gone],
    );
    expect(grants.rowCount).toBeGreaterThan(0);
    expect(outcome.watermarkAt?.getTime()).toBeGreaterThan(before?.getTime() ?? Infinity);
    expect(await findRun(fixture.db.pool, outcome.runId)).toMatchObject({
      usersDeleted: 2,
      status: "succeeded",
    });
  });

  test("a deleted user who reappears comes back to life", async () => {
    const id = generateUserId(9, seed);
    const element = fixture.simulator.store.get(id)?.element;
    fixture.simulator.store.remove(id);
    expectSucceeded(await fixture.run({ kind: "full" }));
    expect(await deletedUsers(fixture)).toEqual([id]);
    fixture.clock.advance(3_600_000);
    fixture.simulator.store.put(element);
    expectSucceeded(await fixture.run());
    expect(await deletedUsers(fixture)).toEqual([]);
  });

  test("--purge-deleted removes deleted users with their attributes and grants", async () => {
    const id = generateUserId(15, seed);
    fixture.simulator.store.remove(id);
    const outcome = expectSucceeded(await fixture.run({ kind: "full", purgeDeleted: true }));
    expect(outcome).toMatchObject({ usersDeleted: 1, usersPurged: 1 });
    for (const table of ["users", "user_attributes", "user_grants"]) {
      const left = await fixture.db.pool.query(`select 1 from zephr.${table} where user_id = $1::uuid`, [id]);
      expect(left.rowCount).toBe(0);
    }
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
  });

  test("a user whose element is rejected still exists and is not marked deleted", async () => {
    const id = generateUserId(20, seed);
    fixture.simulator.store.update(id, (element) => ({
      ...(element as object),
      user: { user_id: id, registered: "never" },
    }));
    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.counts.rejected).toBe(1);
    expect(outcome.usersDeleted).toBe(0);
  });

  test("when the export listed every live user, the ids are not read back to compare", async () => {
    const rejected = generateUserId(21, seed);
    fixture.simulator.store.update(rejected, (element) => ({
      ...(element as object),
      user: { user_id: rejected, registered: "never" },
    }));
    fixture.simulator.store.editAttribute(generateUserId(22, seed), "country", "NO");
    const { result, readLiveIds: compared } = await readLiveIds(() => fixture.run({ kind: "full" }));
    const outcome = expectSucceeded(result);
    expect(outcome).toMatchObject({ usersDeleted: 0, counts: { rejected: 1, usersWritten: 1 } });
    expect(compared).toBe(false);
    expect(await deletedUsers(fixture)).toEqual([]);
  });

  test("an export that lists far fewer users than the warehouse holds marks nobody deleted and fails", async () => {
    for (const stored of fixture.simulator.store.list().slice(0, 100))
      fixture.simulator.store.remove(stored.userId);
    const before = await findWatermark(fixture.db.pool, usersStream);
    const failed = expectFailed(await fixture.run({ kind: "full" }));
    expect(failed.error.code).toBe("RECONCILE_REFUSED");
    expect(failed.error.message).toMatch(/did not list 100 of 120 users.*SYNC_MAX_DELETE_FRACTION/);
    expect(await deletedUsers(fixture)).toEqual([]);
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(before);
    expectSucceeded(await fixture.run({ kind: "full" }, { SYNC_MAX_DELETE_FRACTION: "1" }));
    expect(await deletedUsers(fixture)).toHaveLength(100);
  });
});

describe("backfills", () => {
  let fixture: SyncFixture;

  beforeEach(async () => {
    fixture = await startSyncFixture({ users: { count: 150, seed } });
  });

  afterEach(async () => {
    await fixture.close();
  });

  test("--since re-exports users updated since the instant and leaves the watermark alone", async () => {
    expectSucceeded(await fixture.run());
    const watermark = await findWatermark(fixture.db.pool, usersStream);
    fixture.simulator.requests.length = 0;
    const outcome = expectSucceeded(
      await fixture.run({ kind: "since", since: new Date("2020-01-01T00:00:00Z") }),
    );
    expect(outcome).toMatchObject({ kind: "backfill", watermarkAt: null });
    expect(fixture.exportRequests()[0]?.query).toContain("since=2020-01-01T00%3A00%3A00Z");
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(watermark);
  });

  test("a backfill alone does not make the warehouse fresh for status --max-age", async () => {
    expectSucceeded(await fixture.run({ kind: "since", since: new Date("2020-01-01T00:00:00Z") }));
    expect((await readStatus(fixture.db.pool, 5)).lastSuccessAt).toBeNull();
    expectSucceeded(await fixture.run());
    expect((await readStatus(fixture.db.pool, 5)).lastSuccessAt).not.toBeNull();
  });

  test("a registration backfill walks its range window by window and a failed window resumes where it stopped", async () => {
    const registered = fixture.simulator.store.list().map((u) => u.registeredAtMs);
    const since = new Date(Math.min(...registered));
    const before = new Date(Math.max(...registered) + 1000);
    const chunkMs = Math.ceil((before.getTime() - since.getTime()) / 4);
    // Each window asks from one second before its start (registeredSince may be exclusive).
    const thirdWindowStart = new Date(since.getTime() + 2 * chunkMs - 1000)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    fixture.simulator.faults.push({
      kind: "status",
      status: 401,
      queryIncludes: `registeredSince=${encodeURIComponent(thirdWindowStart)}`,
    });
    const request = {
      kind: "registered",
      registeredSince: since,
      registeredBefore: before,
      chunkMs,
    } as const;
    const failed = expectFailed(await fixture.run(request, { ZEPHR_INSTANT_PRECISION: "seconds" }));
    expect(failed.error.message).toMatch(/zephr-sync backfill --resume/);
    const firstAttempt = registrationQueries(fixture);
    expect(new Set(firstAttempt).size).toBe(3);

    fixture.simulator.requests.length = 0;
    const resumed = expectSucceeded(await fixture.run({ kind: "resume" }));
    expect(resumed.windows).toBe(2);
    const resumedWindows = [...new Set(registrationQueries(fixture))];
    expect(resumedWindows).toHaveLength(2);
    expect(resumedWindows[0]?.startsWith(thirdWindowStart)).toBe(true);
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
    expect(await findWatermark(fixture.db.pool, usersStream)).toBeNull();
    const backfills = await fixture.db.pool.query<{ status: string }>(
      "select status from zephr.sync_backfills",
    );
    expect(backfills.rows).toEqual([{ status: "succeeded" }]);
    const nothingLeft = expectFailed(await fixture.run({ kind: "resume" }));
    expect(nothingLeft.error.code).toBe("NOTHING_TO_RESUME");
  });

  test("a dry run reports what would change and writes nothing", async () => {
    expectSucceeded(await fixture.run());
    fixture.clock.advance(86_400_000);
    fixture.simulator.store.editAttribute(generateUserId(1, seed), "surname", "Dry");
    fixture.simulator.store.remove(generateUserId(2, seed));
    fixture.simulator.store.put({ user: { user_id: "bad" } });
    const versions = await readRowVersions(fixture.db.pool);
    const runs = await fixture.db.pool.query("select * from zephr.sync_runs");
    const outcome = await fixture.run({ kind: "full", dryRun: true });
    expect(outcome).toEqual({
      status: "dry-run",
      report: expect.objectContaining({
        usersReceived: 150,
        newUsers: 0,
        changedUsers: 1,
        unchangedUsers: 148,
        rejected: 1,
        wouldMarkDeleted: 1,
      }) as unknown,
    });
    expect(await readRowVersions(fixture.db.pool)).toEqual(versions);
    expect((await fixture.db.pool.query("select * from zephr.sync_runs")).rows).toEqual(runs.rows);
  });

  test("a run whose signal is aborted mid-export ends cancelled, its lock freed and the watermark unchanged", async () => {
    fixture.simulator.faults.push({ kind: "stall", afterBytes: 2000, page: 2 });
    const controller = new AbortController();
    const running = fixture.run(undefined, undefined, controller.signal);
    await waitFor("page 2 to be requested", () =>
      fixture.exportRequests().some((r) => r.query.includes("page=2")),
    );
    controller.abort();
    const outcome = await running;
    expect(outcome.status).toBe("cancelled");
    if (outcome.status !== "cancelled") return;
    expect(await findRun(fixture.db.pool, outcome.runId ?? "")).toMatchObject({
      status: "cancelled",
      errorCode: "CANCELLED",
    });
    expect(await findWatermark(fixture.db.pool, usersStream)).toBeNull();
    fixture.simulator.faults.clear();
    expectSucceeded(await fixture.run());
  });
});
