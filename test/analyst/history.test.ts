import { analystExamples, runAnalystExample } from "../../src/db/analyst-examples.js";
import { generateUserId } from "../../tools/simulator/index.js";
import { expectSucceeded, startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

const seed = 21;
const dayMs = 86_400_000;

describe("history for analysts", () => {
  let fixture: SyncFixture;
  const id = (index: number) => generateUserId(index, seed);

  beforeAll(async () => {
    fixture = await startSyncFixture();
  });

  beforeEach(async () => {
    await fixture.reset();
    // The examples ask about the last 90 days by the database's clock: the runs happen within them.
    fixture.clock.nowMs = Math.floor((Date.now() - 20 * dayMs) / 1000) * 1000;
    fixture.simulator.store.seedGenerated({ count: 60, seed });
  });

  afterAll(async () => {
    await fixture.close();
  });

  const countVersions = async (userId: string) => {
    const result = await fixture.db.pool.query<{ users: string; grants: string }>(
      `select (select count(*) from user_versions where user_id = $1::uuid) as users,
              (select count(*) from user_grant_versions where user_id = $1::uuid) as grants`,
      [userId],
    );
    return result.rows[0];
  };

  test("the History examples of the README find the changes of a timeline", async () => {
    const store = fixture.simulator.store;
    store.update(id(1), (element) => {
      const object = element as { user: { identifiers: Record<string, unknown> } };
      return {
        ...object,
        user: {
          ...object.user,
          identifiers: { ...object.user.identifiers, email_address: "joe.blow@example.com" },
        },
      };
    });
    store.addGrant(id(2));
    expectSucceeded(await fixture.run());
    fixture.clock.advance(dayMs);
    store.editAttribute(id(1), "newsletter", "false");
    const granted = store.listGrantIds(id(2)).at(-1) ?? "";
    store.removeGrant(id(2), granted);
    expectSucceeded(await fixture.run());

    const rowsOf = async (title: string) => {
      const example = analystExamples.find((e) => e.title.startsWith(title));
      if (example === undefined) throw new Error(`no example titled ${title}`);
      return runAnalystExample(fixture.db.pool, example);
    };
    const daily = await rowsOf("History: active users per product per day");
    expect(daily.columns).toEqual(["day", "product", "active_users"]);
    expect(daily.rows.length).toBeGreaterThan(0);
    const changes = await rowsOf("History: attribute changes of one user");
    expect(changes.rows.map((row) => [row[1], row[3]])).toEqual([["newsletter", "false"]]);
    const revoked = await rowsOf("History: grants revoked");
    expect(revoked.rows.map((row) => row[2])).toEqual(["1"]);
  });

  test("a purge removes the purged users' history, and history of others stays", async () => {
    expectSucceeded(await fixture.run());
    fixture.clock.advance(dayMs);
    fixture.simulator.store.remove(id(3));
    expectSucceeded(await fixture.run({ kind: "full" }));
    expect(Number((await countVersions(id(3)))?.users)).toBe(2);
    fixture.clock.advance(dayMs);
    const purged = expectSucceeded(await fixture.run({ kind: "full", purgeDeleted: true }));
    expect(purged.usersPurged).toBe(1);
    expect(await countVersions(id(3))).toEqual({ users: "0", grants: "0" });
    expect(Number((await countVersions(id(4)))?.users)).toBe(1);
  });

  test("with SYNC_HISTORY=false a run records no version", async () => {
    expectSucceeded(await fixture.run({ kind: "incremental" }, { SYNC_HISTORY: "false" }));
    const result = await fixture.db.pool.query<{ versions: string; users: string }>(
      `select (select count(*) from user_versions) + (select count(*) from user_grant_versions) as versions,
              (select count(*) from users) as users`,
    );
    expect(result.rows[0]).toEqual({ versions: "0", users: "60" });
  });

  test("a user deleted by a complete export is not in users_as_of after it, and its grants end", async () => {
    expectSucceeded(await fixture.run());
    fixture.clock.advance(dayMs);
    const holder = [...fixture.simulator.store.userIds()].find(
      (userId) => fixture.simulator.store.listGrantIds(userId).length > 0,
    );
    if (holder === undefined) throw new Error("no user holds a grant");
    fixture.simulator.store.remove(holder);
    expectSucceeded(await fixture.run({ kind: "full" }));
    const result = await fixture.db.pool.query<{ before: boolean; after: boolean; open_grants: string }>(
      `select exists (select from users_as_of(now() - interval '1000 days') where user_id = $1::uuid) as before,
              exists (select from users_as_of('infinity') where user_id = $1::uuid) as after,
              (select count(*) from user_grant_versions where user_id = $1::uuid and valid_to is null) as open_grants`,
      [holder],
    );
    expect(result.rows[0]).toEqual({ before: false, after: false, open_grants: "0" });
    const during = await fixture.db.pool.query(
      `select 1 from users_as_of((select min(export_started_at) from sync_runs)) where user_id = $1::uuid`,
      [holder],
    );
    expect(during.rows).toHaveLength(1);
  });
  test("a run dated before what history holds (a clock set back) rewrites history from its instant, without overlaps", async () => {
    expectSucceeded(await fixture.run({ kind: "full" }));
    fixture.clock.advance(2 * dayMs);
    fixture.simulator.store.editAttribute(id(3), "surname", "Second");
    expectSucceeded(await fixture.run());
    // Zephr's clock goes back a day: the next export starts before the last one.
    fixture.clock.advance(-dayMs);
    fixture.simulator.store.editAttribute(id(3), "surname", "Third");
    fixture.simulator.store.addGrant(id(3));
    expectSucceeded(await fixture.run({ kind: "full" }));

    const overlaps = await fixture.db.pool.query(
      `select a.user_id from user_versions a join user_versions b
           on a.user_id = b.user_id and a.valid_from < b.valid_from
          and (a.valid_to is null or a.valid_to > b.valid_from)
       union all
       select a.user_id from user_grant_versions a join user_grant_versions b
           on a.user_id = b.user_id and a.grant_id = b.grant_id and a.valid_from < b.valid_from
          and (a.valid_to is null or a.valid_to > b.valid_from)`,
    );
    expect(overlaps.rows).toEqual([]);
    const now = await fixture.db.pool.query<{ attributes: Record<string, unknown> }>(
      "select attributes from users_as_of(now()) where user_id = $1::uuid",
      [id(3)],
    );
    expect(now.rows[0]?.attributes.surname).toBe("Third");
  });
});
