import { generateUser, type SimulatorOptions } from "../../tools/simulator/index.js";
import { findRun } from "../../src/db/sync-runs.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { readStatus } from "../../src/sync/run/read-status.js";
import { statusJson } from "../../src/commands/status-command.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";

/**
 * A run that succeeds holds every user the server listed; when it cannot be sure, it fails and keeps the
 * watermark. Against servers that cap the page size, or state a total they do not serve, or link away.
 */
describe("export completeness", () => {
  let fixture: SyncFixture | undefined;

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  const users = { count: 400, seed: 13 } as const;
  const askFor500 = { ZEPHR_PAGE_SIZE: "500", SYNC_BATCH_SIZE: "90" };

  test.each<[string, Partial<SimulatorOptions>]>([
    ["links.next absolute (the documented sample)", {}],
    ["links.next relative", { nextLink: "relative" }],
    ["links.next as a page number only", { nextLink: "page-only" }],
    ["links.next null on the last page", { lastPageNext: "null" }],
    ["no links, meta.count the total", { links: "omitted" }],
    ["no links, meta.count the page's own", { links: "omitted", count: "page" }],
    ["no links, no count", { links: "omitted", count: "absent" }],
    ["a bare array", { envelope: "array" }],
  ])("a server that answers rpp=500 with 20 users a page loads all 400 users: %s", async (_name, options) => {
    fixture = await startSyncFixture({ users, maxPageSize: 20, ...options }, askFor500);
    const outcome = expectSucceeded(await fixture.run());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
    expect(outcome.counts.pages).toBeGreaterThanOrEqual(20);
    const run = await findRun(fixture.db.pool, outcome.runId);
    const stated =
      options.envelope === "array" || options.count === "absent" ? null : options.count === "page" ? 20 : 400;
    expect(run?.expectedCount).toBe(stated);
  });

  test("a server that pads pages beyond rpp loads every user once", async () => {
    fixture = await startSyncFixture(
      { users, minPageSize: 120, envelope: "array" },
      { ZEPHR_PAGE_SIZE: "50" },
    );
    expectSucceeded(await fixture.run());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
  });

  test("a total stated but not served fails the run, records it, keeps the watermark and marks nobody deleted", async () => {
    fixture = await startSyncFixture({ users: { count: 60, seed: 4 } });
    const first = expectSucceeded(await fixture.run());
    const watermark = await findWatermark(fixture.db.pool, usersStream);
    fixture.clock.advance(3_600_000);
    const listed = [0, 1, 2].map((i) => generateUser(i, 4));
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      page: 1,
      body: JSON.stringify({ results: listed, meta: { count: 60, rpp: 50 }, links: {} }),
    });

    const failed = expectFailed(await fixture.run({ kind: "full" }, { SYNC_MAX_DELETE_FRACTION: "1" }));
    expect(failed.error.code).toBe("EXPORT_INCOMPLETE");
    expect(failed.error.message).toMatch(/stated meta\.count=60 users but 3 arrived/);
    expect(failed.error.message).toMatch(/watermark is unchanged/);
    expect(await findWatermark(fixture.db.pool, usersStream)).toEqual(watermark);
    const deleted = await fixture.db.pool.query(
      "select user_id from zephr.users where deleted_at is not null",
    );
    expect(deleted.rows).toEqual([]);
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));

    const status = statusJson(await readStatus(fixture.db.pool, 5));
    expect(status.runs[0]).toMatchObject({
      status: "failed",
      errorCode: "EXPORT_INCOMPLETE",
      expectedCount: 60,
    });
    expect(status.runs[1]).toMatchObject({ runId: first.runId, status: "succeeded", expectedCount: 60 });
  });

  test("a shortfall within SYNC_COUNT_TOLERANCE of the stated total succeeds", async () => {
    fixture = await startSyncFixture({ users: { count: 10, seed: 4 } });
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      page: 1,
      body: JSON.stringify({
        results: [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => generateUser(i, 4)),
        meta: { count: 10 },
        links: {},
      }),
    });
    expect(expectFailed(await fixture.run()).error.message).toMatch(/allows 0 fewer/);
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      page: 1,
      body: JSON.stringify({
        results: [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => generateUser(i, 4)),
        meta: { count: 10 },
        links: {},
      }),
    });
    expectSucceeded(await fixture.run({ kind: "incremental" }, { SYNC_COUNT_TOLERANCE: "0.1" }));
  });

  test("a user listed twice counts once against the stated total", async () => {
    fixture = await startSyncFixture({ users: { count: 4, seed: 4 } });
    const [a, b, c] = [0, 1, 2].map((i) => generateUser(i, 4));
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      page: 1,
      body: JSON.stringify({ results: [a, b, c, a], meta: { count: 4 } }),
    });
    const failed = expectFailed(await fixture.run());
    expect(failed.error.message).toMatch(/meta\.count=4 users but 3 arrived/);
  });

  test("a next link to another host is refused before anything is sent there", async () => {
    fixture = await startSyncFixture({ users: { count: 60, seed: 4 } });
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      page: 1,
      body: JSON.stringify({
        results: [generateUser(0, 4)],
        links: {
          next: {
            url: "http://127.0.0.2:9/v3/user-export?attributes=true&grants=true&rpp=50&page=2",
            page: 2,
          },
        },
      }),
    });
    const failed = expectFailed(await fixture.run());
    expect(failed.error.code).toBe("EXPORT_PAGING");
    expect(failed.error.message).toMatch(/points to http:\/\/127\.0\.0\.2:9, not to ZEPHR_BASE_URL/);
    expect(await findWatermark(fixture.db.pool, usersStream)).toBeNull();
  });

  test("a server that repeats a full page while stating the total fails a full backfill, which deletes nobody", async () => {
    fixture = await startSyncFixture({ users: { count: 120, seed: 6 } });
    expectSucceeded(await fixture.run());
    const firstPage = JSON.stringify({
      results: Array.from({ length: 50 }, (_, i) => generateUser(i, 6)),
      meta: { count: 120, rpp: 50 },
      links: { next: { url: "/v3/user-export?attributes=true&grants=true&rpp=50&page=2", page: 2 } },
    });
    for (const page of [1, 2])
      fixture.simulator.faults.push({ kind: "raw", status: 200, page, body: firstPage });

    const failed = expectFailed(await fixture.run({ kind: "full" }, { SYNC_MAX_DELETE_FRACTION: "1" }));
    expect(failed.error.code).toBe("EXPORT_INCOMPLETE");
    expect(failed.error.message).toMatch(/repeated page 1 \(50 users, a full page\)/);
    const deleted = await fixture.db.pool.query(
      "select user_id from zephr.users where deleted_at is not null",
    );
    expect(deleted.rows).toEqual([]);
  });
});
