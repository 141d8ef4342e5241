import { generateUser, generateUserId, withAttribute } from "../../tools/simulator/index.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

describe("elements that fail validation", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 40, seed: 3 }, envelope: "array" });
  });

  beforeEach(async () => {
    await fixture.reset();
  });

  afterAll(async () => {
    await fixture.close();
  });

  /** Adds one good user, one SQL-looking one and five that fail validation, and runs the first load. */
  async function loadWithRejects() {
    const store = fixture.simulator.store;
    const good = generateUser(500, 3);
    const badDate = generateUser(501, 3);
    badDate.user.registered = "2021-02-30T25:00:00Z";
    const sqlLookingName = generateUser(502, 3);
    sqlLookingName.user.attributes = { "name'); drop table zephr.users; --": "x", 'a"b': "y" };
    store.put(good);
    store.put(badDate);
    store.put(sqlLookingName);
    store.put({ user: { user_id: "not-a-uuid", attributes: "nope" } });
    store.put({ user: null, grants: {} });
    store.put({
      user: { user_id: generateUser(503, 3).user.user_id },
      grants: { results: [{ grantId: 7 }] },
    });
    store.put("a bare string");
    return { badDate, sqlLookingName, outcome: expectSucceeded(await fixture.run()) };
  }

  test("go to zephr.sync_rejects with every reason, without stopping the run or touching other users", async () => {
    const { badDate, sqlLookingName, outcome } = await loadWithRejects();
    expect(outcome.counts).toMatchObject({ usersReceived: 47, rejected: 5 });
    expect(outcome.counts.usersWritten).toBe(42);

    const rejects = await fixture.db.pool.query<{
      user_id: string | null;
      reason: string;
      element: string;
      page: number;
    }>("select user_id, reason, element, page from zephr.sync_rejects order by reject_id");
    expect(rejects.rows.map((r) => r.reason)).toEqual([
      expect.stringMatching(/user.registered is not a valid date and time: "2021-02-30T25:00:00Z"/),
      expect.stringMatching(/user.user_id is not a UUID: "not-a-uuid"; user.attributes must be an object/),
      expect.stringMatching(/element.user must be an object, got null/),
      expect.stringMatching(/grants.results\[0\].grantId is missing/),
      expect.stringMatching(/the element must be an object, got "a bare string"/),
    ]);
    expect(rejects.rows[0]?.user_id).toBe(badDate.user.user_id);
    expect(JSON.parse(rejects.rows[0]?.element ?? "null")).toEqual(badDate);
    expect(rejects.rows.every((r) => r.page === 1)).toBe(true);

    const names = await fixture.db.pool.query<{ name: string }>(
      "select name from zephr.user_attributes where user_id = $1::uuid order by name",
      [sqlLookingName.user.user_id],
    );
    expect(names.rows.map((r) => r.name)).toEqual(['a"b', "name'); drop table zephr.users; --"]);
    expect(await findWatermark(fixture.db.pool, usersStream)).not.toBeNull();
  });

  test("a stored user whose new element is rejected keeps what the warehouse had for it", async () => {
    await loadWithRejects();
    const store = fixture.simulator.store;
    const rejectedId = generateUserId(4, 3);
    const changedId = generateUserId(5, 3);
    const rowsOf = async (id: string) => {
      const warehouse = await readWarehouse(fixture.db.pool);
      return {
        users: warehouse.users.filter((u) => u.user_id === id),
        attributes: warehouse.attributes.filter((a) => a.user_id === id),
        grants: warehouse.grants.filter((g) => g.user_id === id),
      };
    };
    const before = await rowsOf(rejectedId);
    expect(before.attributes.length).toBeGreaterThan(0);
    // In the same batch: one user changes validly, the other arrives with an impossible date.
    store.update(changedId, (element) => withAttribute(element, "country", "IS"));
    store.update(rejectedId, (element) => {
      const broken = withAttribute(element, "country", "NO") as { user: Record<string, unknown> };
      return { ...broken, user: { ...broken.user, registered: "2021-02-30T25:00:00Z" } };
    });
    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.counts).toMatchObject({ rejected: 6, usersWritten: 1 });
    expect(await rowsOf(rejectedId)).toEqual(before);
  });
});
