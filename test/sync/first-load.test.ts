import {
  findGrantId,
  generateUser,
  generateUserId,
  listGrants,
  withGrant,
} from "../../tools/simulator/index.js";
import { captureSqlTexts, type SqlCapture } from "../support/capture-sql.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

const seed = 23;
/** One page per batch, so a user listed again arrives in a later batch than its first copy. */
const onePagePerBatch = { ZEPHR_PAGE_SIZE: "10", SYNC_BATCH_SIZE: "10" };

describe("a first load (zephr.users empty when the run starts)", () => {
  let fixture: SyncFixture | undefined;
  let capture: SqlCapture | undefined;

  afterEach(async () => {
    capture?.restore();
    capture = undefined;
    await fixture?.close();
    fixture = undefined;
  });

  test("copies users, attributes and grants straight into their tables, looking nothing up", async () => {
    fixture = await startSyncFixture({ users: { count: 45, seed } }, onePagePerBatch);
    capture = captureSqlTexts();
    const outcome = expectSucceeded(await fixture.run());
    const texts = capture.texts.map((text) => text.replace(/\s+/g, " "));
    capture.restore();

    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
    expect(outcome.counts.grantsWritten).toBeGreaterThan(0);
    expect(texts.filter((text) => text.includes("content_hash, 'hex'"))).toEqual([]);
    expect(texts.filter((text) => text.startsWith("copy users"))).toHaveLength(5);
    expect(texts.filter((text) => text.startsWith("copy user_grants"))).toHaveLength(5);
    expect(texts.filter((text) => text.includes("zephr_stage_"))).toEqual([]);

    // The next run compares: it looks every batch up and writes nothing.
    capture = captureSqlTexts();
    const again = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(again.counts.usersWritten).toBe(0);
    expect(capture.texts.filter((text) => text.includes("content_hash, 'hex'"))).toHaveLength(5);
  });

  test("a user listed again in a later batch ends as listed last, and a grant listed under a second user is held by both", async () => {
    fixture = await startSyncFixture({ users: { count: 60, seed }, envelope: "array" }, onePagePerBatch);
    const first = generateUser(0, seed);
    const shifted = structuredClone(first);
    shifted.user.attributes = { ...shifted.user.attributes, surname: "Shifted" };
    // A user of page 1 with a grant.
    const owner = Array.from({ length: 9 }, (_, i) => generateUser(i + 1, seed)).find(
      (user) => listGrants(user).length > 0,
    );
    const grant = listGrants(owner)[0];
    expect(grant).toBeDefined();
    const newcomer = withGrant(generateUser(900, seed), grant);
    // Page 3 (users 20–29) lists two others instead of users 20 and 21 (a full page, so paging goes on):
    // a user of page 1 again, and a newcomer listing a grant page 1 gave to another user.
    const rest = Array.from({ length: 8 }, (_, i) => generateUser(22 + i, seed));
    fixture.simulator.faults.push({
      kind: "raw",
      status: 200,
      body: JSON.stringify([shifted, newcomer, ...rest]),
      page: 3,
    });
    const outcome = expectSucceeded(await fixture.run());
    expect(outcome.counts).toMatchObject({ usersReceived: 60, usersWritten: 60, rejected: 0 });

    const pool = fixture.db.pool;
    const surname = await pool.query<{ value: unknown }>(
      "select value from zephr.user_attributes where user_id = $1::uuid and name = 'surname'",
      [first.user.user_id],
    );
    expect(surname.rows).toEqual([{ value: "Shifted" }]);
    const holders = await pool.query<{ user_id: string }>(
      "select user_id::text from zephr.user_grants where grant_id = $1 order by user_id",
      [findGrantId(grant)],
    );
    expect(holders.rows).toEqual(
      [owner?.user.user_id.toLowerCase() ?? "", generateUserId(900, seed)]
        .sort()
        .map((id) => ({ user_id: id })),
    );
    const users = await pool.query<{ n: number }>("select count(*)::int as n from zephr.users");
    expect(users.rows).toEqual([{ n: 59 }]);
  });
});
