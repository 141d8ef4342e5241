import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

describe("the comments on schema zephr", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  test("every table and view says what it holds", async () => {
    const result = await db.pool.query<{ relation: string }>(
      `select c.relname as relation
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'zephr' and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and coalesce(obj_description(c.oid, 'pg_class'), '') = ''
        order by 1`,
    );
    expect(result.rows).toEqual([]);
  });

  test("every column of every table and view says what it means", async () => {
    const result = await db.pool.query<{ column: string }>(
      `select c.relname || '.' || a.attname as column
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = 'zephr' and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and coalesce(col_description(c.oid, a.attnum), '') = ''
        order by 1`,
    );
    expect(result.rows).toEqual([]);
  });
});
