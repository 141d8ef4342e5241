import pg from "pg";
import { analystIndexes, findAnalystIndexes } from "../../src/db/analyst-indexes.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";
import { waitFor } from "../support/wait-for.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";

/** Name → oid of every analyst index present: a rebuilt index has a new oid. */
async function indexOids(fixture: SyncFixture): Promise<Map<string, number>> {
  const result = await fixture.db.pool.query<{ name: string; oid: number }>(
    `select c.relname as name, c.oid::int as oid from pg_class c
      where c.relnamespace = 'zephr'::regnamespace and c.relkind = 'i' and c.relname = any($1::text[])`,
    [analystIndexes.map((index) => index.name)],
  );
  return new Map(result.rows.map((row) => [row.name, row.oid]));
}

/** The plan PostgreSQL picks for `sql` when it may not scan a table whole. */
async function planOf(fixture: SyncFixture, sql: string, values: unknown[]): Promise<string> {
  const client = await fixture.db.pool.connect();
  try {
    await client.query("set enable_seqscan = off");
    const plan = await client.query<{ "QUERY PLAN": string }>(`explain ${sql}`, values);
    return plan.rows.map((row) => row["QUERY PLAN"]).join("\n");
  } finally {
    await client.query("reset enable_seqscan");
    client.release();
  }
}

const allNames = analystIndexes.map((index) => index.name).sort();

describe("a first load builds the analyst indexes after its rows are in", () => {
  let fixture: SyncFixture;

  beforeEach(async () => {
    fixture = await startSyncFixture({ users: { count: 160, seed: 71 } });
  });

  afterEach(async () => {
    await fixture.close();
  });

  test("the list matches the migrated schema: every secondary index of the three tables (the loads use their keys)", async () => {
    // The list names the tables unqualified (one list for every ZEPHR_SCHEMA); PostgreSQL qualifies them.
    const result = await fixture.db.pool.query<{ name: string; definition: string }>(
      `select c.relname as name, replace(pg_get_indexdef(c.oid), ' ON zephr.', ' ON ') as definition
         from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid in ('zephr.users'::regclass, 'zephr.user_attributes'::regclass,
                             'zephr.user_grants'::regclass)
          and not i.indisunique
        order by c.relname`,
    );
    const listed = new Map(analystIndexes.map((index) => [index.name, index.definition]));
    expect(result.rows).toEqual(
      [...listed]
        .map(([name, definition]) => ({ name, definition }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
  });

  test("while the first load runs the indexes are gone; once it succeeds all are back and the rows are right", async () => {
    fixture.simulator.faults.push({ kind: "stall", afterBytes: 1000, page: 2, ms: 1500 });
    const running = fixture.run();
    await waitFor("the analyst indexes to be dropped", async () => (await indexOids(fixture)).size === 0);
    expectSucceeded(await running);
    expect([...(await indexOids(fixture)).keys()].sort()).toEqual(allNames);
    const warehouse = await readWarehouse(fixture.db.pool);
    expect(warehouse.users).toEqual(expectedWarehouse(fixture.simulator.store).users);
    // The rebuilt indexes answer the filters the README's "What is indexed" documents.
    const email = warehouse.users[0]?.email_address ?? "";
    expect(
      await planOf(fixture, "select user_id from zephr.users where lower(email_address) = lower($1::text)", [
        email,
      ]),
    ).toMatch(/users_email_address_lower_idx/);
    expect(
      await planOf(
        fixture,
        `select user_id from zephr.user_attributes where name = 'country' and value @> '"GB"'`,
        [],
      ),
    ).toMatch(/user_attributes_value_idx/);
  });

  test("later runs leave the indexes alone", async () => {
    expectSucceeded(await fixture.run());
    const before = await indexOids(fixture);
    fixture.simulator.store.editAttribute([...fixture.simulator.store.userIds()][3] ?? "", "country", "FO");
    fixture.clock.advance(3_600_000);
    expectSucceeded(await fixture.run());
    expectSucceeded(await fixture.run({ kind: "full" }));
    expect(await indexOids(fixture)).toEqual(before);
  });

  test("a failed first load builds them again, keeps what it loaded, and the next attempt succeeds", async () => {
    fixture.simulator.faults.push({ kind: "status", status: 400, page: 3 });
    expectFailed(await fixture.run());
    expect([...(await indexOids(fixture)).keys()].sort()).toEqual(allNames);
    expect(await findWatermark(fixture.db.pool, usersStream)).toBeNull();
    expect((await readWarehouse(fixture.db.pool)).users.length).toBeGreaterThan(0);

    const before = await indexOids(fixture);
    expectSucceeded(await fixture.run());
    const after = await indexOids(fixture);
    expect([...after.keys()].sort()).toEqual(allNames);
    // Still a first load (no run had succeeded): dropped and built again.
    for (const [name, oid] of after) expect(oid).not.toBe(before.get(name));
    expect((await readWarehouse(fixture.db.pool)).users).toEqual(
      expectedWarehouse(fixture.simulator.store).users,
    );
  });

  test("an analyst index that went missing (a first load killed mid-way) is built by the next run", async () => {
    expectSucceeded(await fixture.run());
    await fixture.db.pool.query("drop index zephr.user_grants_product_id_idx, zephr.users_registered_at_idx");
    fixture.clock.advance(3_600_000);
    expectSucceeded(await fixture.run());
    expect([...(await findAnalystIndexes(fixture.db.pool)).keys()].sort()).toEqual(allNames);
  });

  test("an index someone redefined is neither dropped nor replaced", async () => {
    await fixture.db.pool.query(
      "drop index zephr.user_grants_product_id_idx; create index user_grants_product_id_idx on zephr.user_grants (product_id, ends_at)",
    );
    const redefined = (await indexOids(fixture)).get("user_grants_product_id_idx");
    expectSucceeded(await fixture.run());
    const indexes = await findAnalystIndexes(fixture.db.pool);
    expect(indexes.get("user_grants_product_id_idx")).toMatch(/\(product_id, ends_at\)/);
    expect((await indexOids(fixture)).get("user_grants_product_id_idx")).toBe(redefined);
  });

  test("while analysts hold a table, the first load keeps its indexes and still succeeds", async () => {
    const analyst = new pg.Client({ connectionString: fixture.db.databaseUrl });
    await analyst.connect();
    try {
      await analyst.query("begin");
      await analyst.query("select count(*) from zephr.user_grants");
      const before = await indexOids(fixture);
      expectSucceeded(await fixture.run());
      expect(await indexOids(fixture)).toEqual(before);
    } finally {
      await analyst.query("rollback");
      await analyst.end();
    }
    expect((await readWarehouse(fixture.db.pool)).users).toEqual(
      expectedWarehouse(fixture.simulator.store).users,
    );
  });
});
