import { generateUser, generateUserId } from "../../tools/simulator/index.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { findRun } from "../../src/db/sync-runs.js";
import { withoutEndPrefetch } from "../support/export-page-requests.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readRowVersions, readWarehouse } from "../support/warehouse-snapshot.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

const seed = 7;
const userCount = 260;

describe("an incremental sync against the simulator", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: userCount, seed } });
  });

  beforeEach(async () => {
    await fixture.reset();
  });

  afterAll(async () => {
    await fixture.close();
  });

  /** The warehouse after the first run: a full export of the source at the clock's start. */
  async function loadFirstRun() {
    return expectSucceeded(await fixture.run());
  }

  test("the first run is a full export that leaves the warehouse equal to the source, field by field", async () => {
    const outcome = expectSucceeded(await fixture.run());
    expect(outcome.kind).toBe("full");
    expect(outcome.sinceAt).toBeNull();
    const warehouse = await readWarehouse(fixture.db.pool);
    expect(warehouse).toEqual(expectedWarehouse(fixture.simulator.store));
    expect(warehouse.users).toHaveLength(userCount);
    expect(warehouse.grants.length).toBeGreaterThan(userCount / 2);
    expect(outcome.counts).toMatchObject({
      pages: 6,
      usersReceived: userCount,
      usersWritten: userCount,
      rejected: 0,
    });
    expect(fixture.exportRequests().every((r) => !r.query.includes("since="))).toBe(true);
  });

  test("the watermark is Zephr's clock at the start of the export, recorded with the run's success", async () => {
    await loadFirstRun();
    const watermark = await findWatermark(fixture.db.pool, usersStream);
    expect(watermark?.getTime()).toBe(Math.floor(fixture.clock.nowMs / 1000) * 1000);
    const runs = await fixture.db.pool.query<{ status: string }>("select status from zephr.sync_runs");
    expect(runs.rows).toEqual([{ status: "succeeded" }]);
  });

  test("a second run asks for changes since the watermark minus the lookback and writes nothing", async () => {
    await loadFirstRun();
    const before = await readWarehouse(fixture.db.pool);
    const countersBefore = await readRowVersions(fixture.db.pool);
    fixture.simulator.requests.length = 0;
    fixture.clock.advance(24 * 3_600_000);
    // Zephr re-delivers users whose "update" changed nothing we store: they must cost no write.
    for (const index of [1, 2, 3])
      fixture.simulator.store.update(generateUserId(index, seed), (element) => element);
    const outcome = expectSucceeded(await fixture.run());
    expect(outcome.kind).toBe("incremental");
    expect(outcome.sinceAt?.toISOString()).toBe("2026-11-29T01:00:00.000Z");
    const requests = withoutEndPrefetch(fixture.exportRequests(), 1);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.query).toBe(
      "attributes=true&grants=true&since=2026-11-29T01%3A00%3A00Z&rpp=50&page=1",
    );
    expect(outcome.counts).toMatchObject({
      usersReceived: 3,
      usersWritten: 0,
      attributesWritten: 0,
      grantsWritten: 0,
    });
    expect(await readWarehouse(fixture.db.pool)).toEqual(before);
    expect(await readRowVersions(fixture.db.pool)).toEqual(countersBefore);
  });

  test("edits, removed and added grants and new users made in Zephr arrive with the next run", async () => {
    await loadFirstRun();
    const store = fixture.simulator.store;
    const edited = generateUserId(3, seed);
    const withGrants = store
      .list()
      .map((u) => u.userId)
      .find((id) => store.listGrantIds(id).length > 0);
    if (withGrants === undefined) throw new Error("the generated users should have grants");
    fixture.clock.advance(3_600_000);
    store.editAttribute(edited, "surname", "Müller-Lüdenscheidt 😀");
    store.editAttribute(edited, "company", undefined);
    const removedGrant = store.listGrantIds(withGrants)[0] ?? "";
    store.removeGrant(withGrants, removedGrant);
    store.addGrant(edited);
    store.put(generateUser(10_000, seed));
    const outcome = expectSucceeded(await fixture.run());
    const sinceMs = outcome.sinceAt?.getTime() ?? 0;
    // The lookback overlap re-delivers users touched shortly before the previous run: harmless.
    expect(outcome.counts.usersReceived).toBe(store.list().filter((u) => u.updatedAtMs > sinceMs).length);
    expect(outcome.counts.usersWritten).toBe(3);
    const warehouse = await readWarehouse(fixture.db.pool);
    expect(warehouse).toEqual(expectedWarehouse(store));
    expect(warehouse.grants.some((g) => g.grant_id === removedGrant)).toBe(false);
    expect(warehouse.attributes.some((a) => a.user_id === edited && a.name === "company")).toBe(false);
  });

  test("running the same export again changes nothing", async () => {
    await loadFirstRun();
    // A user added since, loaded by an incremental run: the full export below lists it as well.
    fixture.clock.advance(3_600_000);
    fixture.simulator.store.put(generateUser(10_000, seed));
    expect(expectSucceeded(await fixture.run()).counts.usersWritten).toBe(1);
    const before = await readWarehouse(fixture.db.pool);
    const countersBefore = await readRowVersions(fixture.db.pool);
    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.counts.usersWritten).toBe(0);
    expect(await readWarehouse(fixture.db.pool)).toEqual(before);
    expect(await readRowVersions(fixture.db.pool)).toEqual(countersBefore);
    const run = await findRun(fixture.db.pool, outcome.runId);
    expect(run).toMatchObject({
      status: "succeeded",
      kind: "full",
      usersReceived: userCount + 1,
      usersWritten: 0,
    });
  });
});
