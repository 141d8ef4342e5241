import pg from "pg";
import { migrateDatabase } from "../../src/db/migrate.js";
import {
  createDatabaseBeforeMigration,
  type DatabaseBeforeMigration,
} from "../support/database-before-migration.js";

/**
 * The history migration applied to a warehouse that already holds users, grants and a run: every current
 * row gets a first version labelled present_at_start, from the start of the last export, and a deleted
 * user's grants none.
 */
const migration = "1765202400000_history";
const alice = "a11ce000-0000-4000-8000-000000000001";
const bob = "b0b00000-0000-4000-8000-000000000002";
const exportStart = "2026-03-01T02:00:00.000Z";

describe("the history migration on a loaded warehouse", () => {
  let database: DatabaseBeforeMigration;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createDatabaseBeforeMigration(migration);
    client = database.client;
    await client.query(
      `insert into zephr.sync_runs (kind, status, export_started_at) values ('full', 'succeeded', $1::timestamptz)`,
      [exportStart],
    );
    await client.query(
      `insert into zephr.users (user_id, content_hash, attributes, deleted_at)
       values ($1::uuid, '\\x00', '{"newsletter": "true"}', null), ($2::uuid, '\\x00', '{}', now())`,
      [alice, bob],
    );
    await client.query(
      `insert into zephr.user_grants (grant_id, user_id) values ('g-1', $1::uuid), ('g-2', $2::uuid)`,
      [alice, bob],
    );
    await migrateDatabase(client, "zephr");
  });

  afterAll(async () => {
    await database.drop();
  });

  test("opens one version per current row, present at the start of history, from the last export's start", async () => {
    const users = await client.query<{
      user_id: string;
      valid_from: Date;
      deleted: boolean;
      present: boolean;
    }>(
      `select user_id::text, valid_from, deleted_at is not null as deleted, present_at_start as present
         from zephr.user_versions where valid_to is null order by user_id`,
    );
    expect(users.rows).toEqual([
      { user_id: alice, valid_from: new Date(exportStart), deleted: false, present: true },
      { user_id: bob, valid_from: new Date(exportStart), deleted: true, present: true },
    ]);
    const grants = await client.query<{ grant_id: string; present: boolean }>(
      `select grant_id, present_at_start as present from zephr.user_grant_versions where valid_to is null`,
    );
    expect(grants.rows).toEqual([{ grant_id: "g-1", present: true }]);
  });

  test("answers as of the start of history with the live users, and before it with nothing", async () => {
    const at = await client.query<{ user_id: string }>(
      `select user_id::text from zephr.users_as_of($1::timestamptz)`,
      [exportStart],
    );
    expect(at.rows).toEqual([{ user_id: alice }]);
    const before = await client.query(
      `select 1 from zephr.grants_as_of($1::timestamptz - interval '1 second')`,
      [exportStart],
    );
    expect(before.rows).toEqual([]);
  });
});
