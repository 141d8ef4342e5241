import {
  findGrantId,
  generateUser,
  generateUserId,
  listGrants,
  withAttribute,
  withGrant,
  withoutGrant,
} from "../../tools/simulator/index.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

const seed = 11;

/** Texts that COPY's text format must escape, or that look like its escapes. */
const awkward = [
  "tab\there",
  "line\nbreak",
  "carriage\rreturn",
  "back\\slash",
  "\\N",
  "\\\\N",
  "\\x41",
  "ends with backslash \\",
  "é 😀 \u2028 \u0001",
  "",
];

describe("batches travel to PostgreSQL by COPY", () => {
  let fixture: SyncFixture;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 20, seed } });
  });

  beforeEach(async () => {
    await fixture.reset();
  });

  afterAll(async () => {
    await fixture.close();
  });

  /** Puts every awkward text into an attribute, a grant and user fields of one user each, and loads them. */
  async function loadAwkwardUsers(): Promise<void> {
    awkward.forEach((text, index) => {
      fixture.simulator.store.update(generateUserId(index, seed), (element) => {
        const withText = withAttribute(element, `awkward-${index}`, text);
        const withGrantText = withGrant(withText, {
          grantId: `grant ${text} ${index}`,
          entitlement_id: text,
          product_id: text,
          startTime: "2026-01-01T00:00:00",
          note: text,
        });
        const user = (withGrantText as { user: Record<string, unknown> }).user;
        return {
          ...(withGrantText as object),
          user: { ...user, tracking_id: text, [`extra ${text}`]: text },
        };
      });
    });
    expectSucceeded(await fixture.run());
  }

  test("text that COPY escapes arrives exactly as sent, in every kind of column", async () => {
    await loadAwkwardUsers();
    const warehouse = await readWarehouse(fixture.db.pool);
    expect(warehouse).toEqual(expectedWarehouse(fixture.simulator.store));
    const stored = await fixture.db.pool.query<{ value: string }>(
      "select value #>> '{}' as value from zephr.user_attributes where name like 'awkward-%' order by name",
    );
    expect(stored.rows.map((row) => row.value).sort()).toEqual([...awkward].sort());
  });

  test("a second run finds every one of those users unchanged", async () => {
    await loadAwkwardUsers();
    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.counts.usersWritten).toBe(0);
  });

  test("a new user listing a grant the warehouse holds under another user gets a row of its own", async () => {
    await loadAwkwardUsers();
    const owner = generateUserId(5, seed);
    const owned = await fixture.db.pool.query<{ grant_id: string }>(
      "select grant_id from zephr.user_grants where user_id = $1::uuid limit 1",
      [owner],
    );
    const grantId = owned.rows[0]?.grant_id;
    expect(grantId).toBeDefined();
    const grant = listGrants(fixture.simulator.store.get(owner)?.element).find(
      (g) => findGrantId(g) === grantId,
    );
    expect(grant).toBeDefined();
    const newcomer = withGrant(generateUser(900, seed), grant);
    fixture.simulator.store.put(newcomer);
    fixture.clock.advance(60_000);
    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.counts).toMatchObject({ usersWritten: 1, rejected: 0 });
    const holders = async () =>
      (
        await fixture.db.pool.query<{ user_id: string }>(
          "select user_id::text from zephr.user_grants where grant_id = $1 order by user_id",
          [grantId],
        )
      ).rows.map((row) => row.user_id);
    expect(await holders()).toEqual([owner, generateUserId(900, seed)].sort());
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));

    // The former owner no longer lists it: only its row goes.
    fixture.simulator.store.update(owner, (element) => withoutGrant(element, grantId ?? ""));
    fixture.clock.advance(60_000);
    expectSucceeded(await fixture.run({ kind: "full" }));
    expect(await holders()).toEqual([generateUserId(900, seed)]);
  });

  test("rows left behind by a truncate do not stop new users from loading", async () => {
    await loadAwkwardUsers();
    // No trigger runs on truncate: the users go, their attributes and grants stay.
    await fixture.db.pool.query("truncate zephr.users");
    const outcome = expectSucceeded(await fixture.run({ kind: "full" }));
    expect(outcome.counts.usersWritten).toBe(fixture.simulator.store.size);
    expect(await readWarehouse(fixture.db.pool)).toEqual(expectedWarehouse(fixture.simulator.store));
  });

  test("deleting a user deletes its attributes and grants too", async () => {
    await loadAwkwardUsers();
    const id = generateUserId(3, seed);
    await fixture.db.pool.query("delete from zephr.users where user_id = $1::uuid", [id]);
    for (const table of ["user_attributes", "user_grants"]) {
      const left = await fixture.db.pool.query(`select 1 from zephr.${table} where user_id = $1::uuid`, [id]);
      expect(left.rowCount).toBe(0);
    }
    const others = await fixture.db.pool.query("select 1 from zephr.user_attributes");
    expect(others.rowCount).toBeGreaterThan(0);
  });
});
