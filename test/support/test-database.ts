import { randomBytes } from "node:crypto";
import pg from "pg";
import { createPool } from "../../src/db/pool.js";
import { readTestHarnessEnv } from "./test-harness-env.js";
import { replaceDatabaseInUrl } from "./replace-database-in-url.js";
import { withAdminClient } from "./with-admin-client.js";

export interface TestDatabase {
  /** Name of the database, unique to this test file's run. */
  readonly name: string;
  readonly databaseUrl: string;
  /** A pool on the database, on schema zephr (the default ZEPHR_SCHEMA); drop() ends it. */
  readonly pool: pg.Pool;
  /** Ends the pool and drops the database, even while something is still connected. Idempotent. */
  readonly drop: () => Promise<void>;
}

/**
 * A fresh, migrated database copied from the run's template (fast: no migrations run). Create one per
 * test file in beforeAll and drop it in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, template, databasePrefix } = readTestHarnessEnv();
  const name = `${databasePrefix}${randomBytes(6).toString("hex")}`;
  await withAdminClient(adminUrl, (admin) =>
    admin.query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(template)}`),
  );
  const databaseUrl = replaceDatabaseInUrl(adminUrl, name);
  const pool = createPool({ databaseUrl, schema: "zephr", applicationName: "zephr-sync-test" }, (error) => {
    console.error(`Idle connection to test database ${name} failed:`, error);
  });
  let dropping: Promise<void> | undefined;
  const drop = async (): Promise<void> => {
    await pool.end();
    await withAdminClient(adminUrl, (admin) =>
      admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`),
    );
  };
  return Object.freeze({ name, databaseUrl, pool, drop: () => (dropping ??= drop()) });
}
