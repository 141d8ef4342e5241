import { generateUser } from "../../tools/simulator/index.js";
import type { SimulatorOptions } from "../../tools/simulator/index.js";
import { pageOf, withoutEndPrefetch } from "../support/export-page-requests.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";

const users = { count: 137, seed: 5 } as const;

describe("export envelopes and paging", () => {
  let fixture: SyncFixture | undefined;

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  async function syncWith(options: Partial<SimulatorOptions>, env: Record<string, string> = {}) {
    fixture = await startSyncFixture({ users, ...options }, env);
    const outcome = expectSucceeded(await fixture.run());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
    return { outcome, requests: fixture.exportRequests() };
  }

  test.each([
    ["a bare JSON array, ending on a short page", { envelope: "array" }, 3],
    ["the results object, ending where links.next is absent", { envelope: "object" }, 3],
    ["the results object, ending where links.next is null", { envelope: "object", lastPageNext: "null" }, 3],
    ["results nested as arrays of arrays", { envelope: "nested" }, 3],
  ] as const)("%s loads every user", async (_name, options, pages) => {
    const { requests } = await syncWith(options);
    // Plus, perhaps, the request for the page after the last, sent ahead and aborted.
    expect(withoutEndPrefetch(requests, pages).map(pageOf)).toEqual(
      Array.from({ length: pages }, (_, i) => i + 1),
    );
  });

  test("a bare array whose last page is exactly full ends on the empty page after it", async () => {
    const { requests } = await syncWith({ envelope: "array" }, { ZEPHR_PAGE_SIZE: "137" });
    expect(withoutEndPrefetch(requests, 2).map((r) => [pageOf(r), r.status])).toEqual([
      [1, 200],
      [2, 200],
    ]);
  });

  test.each(["array", "object"] as const)(
    "a server that ignores rpp and page (%s envelope) is read twice at most, not looped on",
    async (envelope) => {
      const { outcome } = await syncWith({ envelope, ignorePaging: true });
      // Page 2 shows that the server repeats itself; page 1 held everything.
      expect(outcome.counts.pages).toBeLessThanOrEqual(2);
      expect(outcome.counts.usersWritten).toBe(users.count);
    },
  );

  test("a server that repeats a full page of exactly ZEPHR_PAGE_SIZE users fails: more may exist", async () => {
    fixture = await startSyncFixture(
      { users, envelope: "array", ignorePaging: true },
      { ZEPHR_PAGE_SIZE: "137" },
    );
    const failed = expectFailed(await fixture.run());
    expect(failed.error.code).toBe("EXPORT_INCOMPLETE");
    expect(failed.error.message).toMatch(/repeated page 1 \(137 users, a full page\).*raise ZEPHR_PAGE_SIZE/);
    expect(withoutEndPrefetch(fixture.exportRequests(), 2)).toHaveLength(2);
  });

  test("an export longer than ZEPHR_MAX_PAGES fails instead of running on, asking for no page beyond", async () => {
    fixture = await startSyncFixture({ users }, { ZEPHR_MAX_PAGES: "2" });
    const failed = expectFailed(await fixture.run());
    expect(failed.error.code).toBe("EXPORT_TOO_MANY_PAGES");
    expect(failed.error.message).toMatch(/ZEPHR_MAX_PAGES/);
    expect(fixture.exportRequests().map(pageOf)).toEqual([1, 2]);
  });

  test("a user delivered twice in one export (pages shifting) is loaded once, last copy winning", async () => {
    fixture = await startSyncFixture({ users: { count: 60, seed: 5 }, envelope: "array" });
    const first = generateUser(0, 5);
    const changed = structuredClone(first);
    changed.user.attributes = { ...changed.user.attributes, surname: "Shifted" };
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      body: JSON.stringify([first, changed, first, changed]),
      page: 2,
    });
    const outcome = expectSucceeded(await fixture.run());
    expect(outcome.counts.usersReceived).toBe(54);
    const stored = await fixture.db.pool.query<{ value: unknown }>(
      "select value from zephr.user_attributes where user_id = $1::uuid and name = 'surname'",
      [first.user.user_id],
    );
    expect(stored.rows).toEqual([{ value: "Shifted" }]);
  });
});
