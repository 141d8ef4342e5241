import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { findRun } from "../../src/db/sync-runs.js";
import { answersByPage, withoutEndPrefetch } from "../support/export-page-requests.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";

describe("faults while exporting", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 120, seed: 11 } });
  });

  // Faults must not leak between tests: each starts with none queued, an empty warehouse and the source.
  beforeEach(async () => {
    await fixture.reset();
  });

  afterAll(async () => {
    await fixture.close();
  });

  async function watermark() {
    return findWatermark(fixture.db.pool, usersStream);
  }

  test("a connection reset mid-body beyond the retries fails the run, keeps the watermark, and the next run heals", async () => {
    expectSucceeded(await fixture.run());
    const before = await watermark();
    fixture.clock.advance(86_400_000);
    for (const id of fixture.simulator.store
      .list()
      .slice(0, 80)
      .map((u) => u.userId)) {
      fixture.simulator.store.editAttribute(id, "job-title", "Night auditor");
    }
    fixture.simulator.faults.push({ kind: "drop", afterBytes: 3000, page: 2, times: 10 });
    const failed = expectFailed(await fixture.run(undefined, { ZEPHR_RETRIES: "2" }));
    expect(failed.error.code).toBe("ZEPHR_NETWORK");
    expect(await watermark()).toEqual(before);
    const run = await findRun(fixture.db.pool, failed.runId ?? "");
    expect(run).toMatchObject({ status: "failed", errorCode: "ZEPHR_NETWORK" });
    expect(run?.errorMessage).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v3\/user-export\?/);
    fixture.simulator.faults.clear();
    expectSucceeded(await fixture.run());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
    expect((await watermark())?.getTime()).toBeGreaterThan(before?.getTime() ?? Infinity);
  });

  test("a reset mid-body is retried from the start of the page and the run still succeeds", async () => {
    fixture.simulator.faults.push({ kind: "drop", afterBytes: 5000, page: 1 });
    fixture.simulator.faults.push({ kind: "refuse", page: 2 });
    expectSucceeded(await fixture.run());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
    // Page 2 was refused while page 1 was read (its request goes ahead), and tried again at its turn.
    expect(answersByPage(withoutEndPrefetch(fixture.exportRequests(), 3))).toEqual({
      1: ["drop", 200],
      2: ["refuse", 200],
      3: [200],
    });
  });

  test("503s and 500s are retried with backoff, then the run succeeds", async () => {
    fixture.simulator.faults.push({ kind: "status", status: 503, times: 2 });
    fixture.simulator.faults.push({ kind: "status", status: 500, page: 3 });
    expectSucceeded(await fixture.run());
    expect(withoutEndPrefetch(fixture.exportRequests(), 3).map((r) => r.status)).toEqual([
      503, 503, 200, 200, 500, 200,
    ]);
  });

  test("a 429 is retried after waiting at least its Retry-After", async () => {
    fixture.simulator.faults.push({ kind: "status", status: 429, retryAfterSeconds: 7 });
    expectSucceeded(await fixture.run());
    expect(fixture.sleeps).toEqual([7000]);
  });

  test("a Retry-After longer than ZEPHR_MAX_RETRY_AFTER is capped", async () => {
    fixture.simulator.faults.push({ kind: "status", status: 503, retryAfterSeconds: 86_400 });
    expectSucceeded(await fixture.run(undefined, { ZEPHR_MAX_RETRY_AFTER: "30s" }));
    expect(fixture.sleeps).toEqual([30_000]);
  });

  test.each([
    [401, "ZEPHR_AUTH", /ZEPHR_ACCESS_KEY \/ ZEPHR_SECRET_KEY and .*clock/],
    [403, "ZEPHR_FORBIDDEN", /privilege/],
    [400, "ZEPHR_BAD_REQUEST", /400/],
  ] as const)("a %i is not retried and says what to check", async (status, code, message) => {
    fixture.simulator.faults.push({ kind: "status", status, times: 5 });
    const failed = expectFailed(await fixture.run());
    expect(failed.error.code).toBe(code);
    expect(failed.error.message).toMatch(message);
    expect(fixture.exportRequests()).toHaveLength(1);
    expect(await watermark()).toBeNull();
  });

  test("a wrong secret key is refused by Zephr's signature check and fails without retries", async () => {
    const failed = expectFailed(await fixture.run(undefined, { ZEPHR_SECRET_KEY: "not-the-secret" }));
    expect(failed.error.code).toBe("ZEPHR_AUTH");
    expect(failed.error.message).not.toContain("not-the-secret");
    expect(fixture.exportRequests().map((r) => r.status)).toEqual([401]);
  });

  test.each([
    ["a truncated JSON body", { kind: "truncate", afterBytes: 4000, page: 2 }],
    ["an HTML error page", { kind: "html", page: 2 }],
    ["an empty body", { kind: "empty", page: 2 }],
  ] as const)("%s fails the run cleanly, without retrying, and the watermark stays", async (_name, fault) => {
    fixture.simulator.faults.push(fault);
    const failed = expectFailed(await fixture.run());
    expect(failed.error.code).toBe("EXPORT_MALFORMED");
    expect(withoutEndPrefetch(fixture.exportRequests(), 2)).toHaveLength(2);
    expect(await watermark()).toBeNull();
    const run = await findRun(fixture.db.pool, failed.runId ?? "");
    expect(run?.status).toBe("failed");
    expectSucceeded(await fixture.run());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
  });

  test("a body that stalls longer than the idle timeout is aborted and retried, not waited on forever", async () => {
    fixture.simulator.faults.push({ kind: "stall", afterBytes: 2000, page: 1 });
    expectSucceeded(await fixture.run(undefined, { ZEPHR_IDLE_TIMEOUT: "300ms" }));
    expect(
      fixture.exportRequests().filter((r) => r.query.includes("page=1&") || r.query.endsWith("page=1")),
    ).toHaveLength(2);
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
  });

  test("Zephr unreachable fails after bounded retries with a network error", async () => {
    // A warehouse of its own: this one mirrors the simulator, and another ZEPHR_BASE_URL is refused.
    const unreachable = await startSyncFixture();
    try {
      const failed = expectFailed(
        await unreachable.run(undefined, { ZEPHR_BASE_URL: "http://127.0.0.1:9", ZEPHR_RETRIES: "2" }),
      );
      expect(failed.error.code).toBe("ZEPHR_NETWORK");
      expect(failed.error.message).toMatch(/ECONNREFUSED/);
    } finally {
      await unreachable.close();
    }
  });
});
