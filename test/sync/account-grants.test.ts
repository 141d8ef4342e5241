import { generateUser, withGrant, withoutGrant } from "../../tools/simulator/index.js";
import { captureSqlTexts, type SqlCapture } from "../support/capture-sql.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readRowVersions, readWarehouse } from "../support/warehouse-snapshot.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

/**
 * Grants keyed by (user_id, grant_id): a company account's grant listed under each of its members, and a
 * grant whose own user_id names someone other than the user whose element lists it. Pages and batches of
 * four users, so the members arrive in different batches (and, in a first load, different COPYs).
 */
const seed = 131;
const userCount = 12;
const smallBatches = { ZEPHR_PAGE_SIZE: "4", SYNC_BATCH_SIZE: "4" };
const hourMs = 3_600_000;

/** The account's administrator: the company grant's own user_id (sent in upper case, stored lowercased). */
const accountAdmin = "ACC0DEAD-0000-4000-8000-00000000AD31";
const outsider = "0075de00-0000-4000-8000-000000000007";
const companyGrantId = "company-grant-1";
const foreignGrantId = "grant-of-someone-else";
/** Members of the account, in three different batches. */
const members = [1, 5, 9].map((index) => generateUser(index, seed).user.user_id.toLowerCase());
const foreignHolder = generateUser(6, seed).user.user_id.toLowerCase();

const companyGrant = {
  grantId: companyGrantId,
  user_id: accountAdmin,
  account_id: "company-account-7",
  expiry_state: "active",
  entitlement_type: "bundle",
  entitlement_id: "b74df5c4-fded-492c-ad90-07646bded5db",
  product_id: "86abb44a-e6f2-4f9b-ac26-46ae0a13ed31",
  startTime: "2024-01-01 00:00:00",
  createdAt: "2023-12-31 12:00:00",
};
const foreignGrant = {
  grant_id: foreignGrantId,
  user_id: outsider,
  expiry_state: "active",
  entitlement_type: "entitlement",
  entitlement_id: "ent-9",
  product_id: "prod-9",
  startTime: "2024-02-01 00:00:00",
  created_at: "2024-02-01 00:00:00",
};

/** The tenant's users, in export order: the members hold the company grant, one user the foreign grant. */
function tenantElements(): unknown[] {
  return Array.from({ length: userCount }, (_, index) => {
    const element: unknown = generateUser(index, seed);
    const userId = generateUser(index, seed).user.user_id.toLowerCase();
    const withCompany = members.includes(userId) ? withGrant(element, companyGrant) : element;
    return userId === foreignHolder ? withGrant(withCompany, foreignGrant) : withCompany;
  });
}

async function startLoaded(): Promise<SyncFixture> {
  const fixture = await startSyncFixture({}, smallBatches);
  fixture.simulator.store.putMany(tenantElements());
  expectSucceeded(await fixture.run());
  return fixture;
}

async function holdersOf(fixture: SyncFixture, grantId: string): Promise<string[]> {
  const result = await fixture.db.pool.query<{ user_id: string }>(
    "select user_id::text from zephr.user_grants where grant_id = $1::text order by user_id",
    [grantId],
  );
  return result.rows.map((row) => row.user_id);
}

/** Each grant row's physical version, by user and grant id: a rewrite or a move changes it. */
async function grantRowVersions(fixture: SyncFixture): Promise<Map<string, string>> {
  const result = await fixture.db.pool.query<{ key: string; version: string }>(
    "select user_id::text || ' ' || grant_id as key, ctid::text || ':' || xmin::text as version from zephr.user_grants",
  );
  return new Map(result.rows.map((row) => [row.key, row.version]));
}

describe("a grant listed under several users", () => {
  let fixture: SyncFixture | undefined;
  let capture: SqlCapture | undefined;

  afterEach(async () => {
    capture?.restore();
    capture = undefined;
    await fixture?.close();
    fixture = undefined;
  });

  test("a first load gives it to every user who lists it, by COPY, with the grant's own user_id", async () => {
    fixture = await startSyncFixture({}, smallBatches);
    fixture.simulator.store.putMany(tenantElements());
    capture = captureSqlTexts();
    const outcome = expectSucceeded(await fixture.run());
    const texts = capture.texts;
    capture.restore();

    expect(outcome.counts).toMatchObject({ usersWritten: userCount, rejected: 0 });
    // No batch met a row it did not expect: nothing fell back to the staged upsert.
    expect(texts.filter((text) => text.includes("zephr_stage_"))).toEqual([]);
    expect(texts.filter((text) => text.startsWith("copy user_grants"))).toHaveLength(3);

    const warehouse = await readWarehouse(fixture.db.pool);
    expect(warehouse).toEqual(expectedWarehouse(fixture.simulator.store));
    expect(await holdersOf(fixture, companyGrantId)).toEqual([...members].sort());
    const rowsOf = (grantId: string) =>
      warehouse.grants
        .filter((g) => g.grant_id === grantId)
        .map(({ user_id, grant_user_id, account_id }) => ({ user_id, grant_user_id, account_id }));
    expect(rowsOf(companyGrantId)).toEqual(
      [...members].sort().map((userId) => ({
        user_id: userId,
        grant_user_id: accountAdmin.toLowerCase(),
        account_id: "company-account-7",
      })),
    );
    expect(rowsOf(foreignGrantId)).toEqual([
      { user_id: foreignHolder, grant_user_id: outsider, account_id: null },
    ]);
    // The grant's user_id has its own column: it is not repeated among the extras.
    const extras = await fixture.db.pool.query<{ grant_extra: unknown }>(
      "select grant_extra from zephr.user_grants where grant_id = any($1::text[])",
      [[companyGrantId, foreignGrantId]],
    );
    expect(extras.rows).toEqual(Array.from({ length: 4 }, () => ({ grant_extra: {} })));
    // Analysts see it once per holder.
    const active = await fixture.db.pool.query<{ user_id: string; grant_user_id: string }>(
      `select user_id::text, grant_user_id::text from zephr.active_grants where grant_id = $1::text
        order by user_id`,
      [companyGrantId],
    );
    expect(active.rows).toEqual(
      [...members].sort().map((userId) => ({ user_id: userId, grant_user_id: accountAdmin.toLowerCase() })),
    );
  });

  test("a member who no longer lists it loses it, and the other members keep theirs untouched", async () => {
    fixture = await startLoaded();
    const before = await grantRowVersions(fixture);
    const leaving = members[1] ?? "";
    fixture.clock.advance(hourMs);
    fixture.simulator.store.update(leaving, (element) => withoutGrant(element, companyGrantId));
    fixture.clock.advance(hourMs);

    const outcome = expectSucceeded(await fixture.run());
    // Users the lookback lists again are unchanged: only the leaving member is written, one grant row gone.
    expect(outcome.counts).toMatchObject({ usersWritten: 1, grantsWritten: 1 });
    expect(await holdersOf(fixture, companyGrantId)).toEqual(members.filter((id) => id !== leaving).sort());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
    // Every other grant row is the very row version the first load wrote.
    const after = await grantRowVersions(fixture);
    before.delete(`${leaving} ${companyGrantId}`);
    expect(after).toEqual(before);

    // A full export agrees and writes nothing more.
    fixture.clock.advance(hourMs);
    const full = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(full.counts).toMatchObject({ usersWritten: 0, grantsWritten: 0 });
    expect(await holdersOf(fixture, companyGrantId)).toEqual(members.filter((id) => id !== leaving).sort());
  });

  test("exports listing the users in other orders rewrite nothing, and the grants stay where they are", async () => {
    fixture = await startLoaded();
    const { store } = fixture.simulator;
    const expected = expectedWarehouse(store);
    const versions = await readRowVersions(fixture.db.pool);
    const elements = tenantElements();
    // Reversed, then members last and first alternately: each run lists every user (all changed since).
    const orders = [
      [...elements].reverse(),
      [...elements.slice(6), ...elements.slice(0, 6)],
      [...elements].reverse(),
    ];
    for (const order of orders) {
      fixture.clock.advance(hourMs);
      store.clear();
      store.putMany(order);
      fixture.clock.advance(hourMs);
      const outcome = expectSucceeded(await fixture.run());
      expect(outcome.counts).toMatchObject({
        usersReceived: userCount,
        usersWritten: 0,
        attributesWritten: 0,
        grantsWritten: 0,
      });
      expect(await readWarehouse(fixture.db.pool)).toEqual(expected);
      expect(await readRowVersions(fixture.db.pool)).toEqual(versions);
    }
    const full = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(full.counts).toMatchObject({ usersWritten: 0, grantsWritten: 0 });
    expect(await holdersOf(fixture, companyGrantId)).toEqual([...members].sort());
  });

  test("after an upgrade from one row per grant id, a full export gives back the grants the old key dropped", async () => {
    fixture = await startLoaded();
    const expected = expectedWarehouse(fixture.simulator.store);
    // What the old key left: the shared grant under the member written last only, and every user's
    // content hash from the previous normalization version (any hash but the current one).
    const [first, second] = members;
    await fixture.db.pool.query(
      "delete from zephr.user_grants where grant_id = $1::text and user_id = any($2::uuid[])",
      [companyGrantId, [first, second]],
    );
    await fixture.db.pool.query("update zephr.users set content_hash = '\\x00'");
    fixture.clock.advance(hourMs);

    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.counts).toMatchObject({ usersWritten: userCount, grantsWritten: 2 });
    expect(await readWarehouse(fixture.db.pool)).toEqual(expected);
    expect(await holdersOf(fixture, companyGrantId)).toEqual([...members].sort());
  });
});
