import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * zephr_analyst is cluster-wide and has no login: the tests act as it with `set local role` inside a
 * transaction (the harness connects as a superuser), so no password or login role is needed.
 */
describe("the zephr_analyst role", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  async function asAnalyst<T>(sql: string): Promise<T[]> {
    const client = await db.pool.connect();
    try {
      await client.query("begin");
      await client.query("set local role zephr_analyst");
      const result = await client.query(sql);
      return result.rows as T[];
    } finally {
      await client.query("rollback");
      client.release();
    }
  }

  test("exists and cannot log in", async () => {
    const result = await db.pool.query(
      `select rolcanlogin, rolsuper, rolcreaterole from pg_roles where rolname = 'zephr_analyst'`,
    );
    expect(result.rows).toEqual([{ rolcanlogin: false, rolsuper: false, rolcreaterole: false }]);
  });

  test("can read every table and view of schema zephr", async () => {
    const relations = await db.pool.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'zephr' and c.relkind in ('r', 'v', 'm', 'p') order by 1`,
    );
    expect(relations.rows.length).toBeGreaterThan(10);
    for (const { name } of relations.rows) {
      await expect(asAnalyst(`select * from zephr.${name} limit 1`)).resolves.toBeDefined();
    }
  });

  test("cannot write", async () => {
    await expect(asAnalyst(`delete from zephr.users`)).rejects.toMatchObject({ code: "42501" });
    await expect(
      asAnalyst(`insert into zephr.catalogue_items (kind, item_id, item) values ('product', 'x', '{}')`),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(asAnalyst(`update zephr.sync_runs set status = 'failed'`)).rejects.toMatchObject({
      code: "42501",
    });
    await expect(asAnalyst(`create table zephr.analyst_scratch (x int)`)).rejects.toMatchObject({
      code: "42501",
    });
  });

  test("can read tables a later migration creates, through the default privileges", async () => {
    await db.pool.query(`create table zephr.later_table (id int)`);
    try {
      await expect(asAnalyst(`select * from zephr.later_table`)).resolves.toEqual([]);
    } finally {
      await db.pool.query(`drop table zephr.later_table`);
    }
  });
});
