import pg from "pg";
import { migrateDatabase } from "../../src/db/migrate.js";
import {
  createDatabaseBeforeMigration,
  type DatabaseBeforeMigration,
} from "../support/database-before-migration.js";

/**
 * The migration to grants per (user_id, grant_id), applied to a warehouse that a version keyed by grant_id
 * alone had loaded: a database migrated up to the migration before it, given rows of that shape, then
 * migrated the rest of the way.
 */
const migration = "1764856800000_grants-per-user";
const alice = "a11ce000-0000-4000-8000-000000000001";
const bob = "b0b00000-0000-4000-8000-000000000002";
const admin = "ACC0DEAD-0000-4000-8000-00000000AD31";

describe("the migration to grants per user", () => {
  let database: DatabaseBeforeMigration;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createDatabaseBeforeMigration(migration);
    client = database.client;
    // As the old key left them: the grant's own user_id among the extras, a shared grant under one user.
    await client.query(
      `insert into zephr.users (user_id, content_hash) values ($1::uuid, '\\x00'), ($2::uuid, '\\x00')`,
      [alice, bob],
    );
    await client.query(
      `insert into zephr.user_grants (grant_id, user_id, account_id, starts_at, grant_extra) values
         ('g-shared', $2::uuid, 'company-7', now() - interval '1 day', jsonb_build_object('user_id', $3::text, 'seat', 4)),
         ('g-text', $1::uuid, null, now() - interval '1 day', '{"user_id": "company-7"}'),
         ('g-none', $1::uuid, null, now() - interval '1 day', '{}')`,
      [alice, bob, admin],
    );
    await migrateDatabase(client, "zephr");
  });

  afterAll(async () => {
    await database.drop();
  });

  test("moves a grant's UUID user_id from grant_extra to grant_user_id, lowercased, and leaves any other there", async () => {
    const result = await client.query<{
      grant_id: string;
      grant_user_id: string | null;
      grant_extra: unknown;
    }>("select grant_id, grant_user_id::text, grant_extra from zephr.user_grants order by grant_id");
    expect(result.rows).toEqual([
      { grant_id: "g-none", grant_user_id: null, grant_extra: {} },
      { grant_id: "g-shared", grant_user_id: admin.toLowerCase(), grant_extra: { seat: 4 } },
      { grant_id: "g-text", grant_user_id: null, grant_extra: { user_id: "company-7" } },
    ]);
  });

  test("keys grants by user and grant id: a second user may hold the same grant, the same user not twice", async () => {
    await client.query("begin");
    try {
      await client.query(
        `insert into zephr.user_grants (grant_id, user_id, grant_user_id) values ('g-shared', $1::uuid, $2::uuid)`,
        [alice, admin],
      );
      const holders = await client.query<{ user_id: string; grant_user_id: string }>(
        `select user_id::text, grant_user_id::text from zephr.active_grants where grant_id = 'g-shared'
          order by user_id`,
      );
      expect(holders.rows).toEqual([
        { user_id: alice, grant_user_id: admin.toLowerCase() },
        { user_id: bob, grant_user_id: admin.toLowerCase() },
      ]);
      await expect(
        client.query(`insert into zephr.user_grants (grant_id, user_id) values ('g-shared', $1::uuid)`, [
          bob,
        ]),
      ).rejects.toMatchObject({ code: "23505" });
    } finally {
      await client.query("rollback");
    }
  });

  test("the grant views are recreated with grant_user_id, and the analyst role may read them", async () => {
    const result = await client.query<{ view: string; readable: boolean; has_column: boolean }>(
      `select v.view, has_table_privilege('zephr_analyst', 'zephr.' || v.view, 'select') as readable,
              exists (select from information_schema.columns c
                       where c.table_schema = 'zephr' and c.table_name = v.view
                         and c.column_name = 'grant_user_id') as has_column
         from unnest(array['active_grants', 'grant_details']) as v(view) order by 1`,
    );
    expect(result.rows).toEqual([
      { view: "active_grants", readable: true, has_column: true },
      { view: "grant_details", readable: true, has_column: true },
    ]);
  });
});
