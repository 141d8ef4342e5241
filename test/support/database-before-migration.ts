import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { runner } from "node-pg-migrate";
import pg from "pg";
import { migrationsDir } from "../../src/db/migrate.js";
import { replaceDatabaseInUrl } from "./replace-database-in-url.js";
import { readTestHarnessEnv } from "./test-harness-env.js";
import { withAdminClient } from "./with-admin-client.js";

/** A database of its own, migrated up to the migration before `migration`, to give rows of the old shape. */
export interface DatabaseBeforeMigration {
  readonly client: pg.Client;
  /** Ends the client and drops the database. */
  drop(): Promise<void>;
}

/** How many migration files come before this one (node-pg-migrate applies them by their number). */
function countMigrationsBefore(name: string): number {
  const names = readdirSync(migrationsDir)
    .filter((file) => file.endsWith(".sql"))
    .map((file) => file.slice(0, -".sql".length))
    .sort((a, b) => Number(/^\d+/.exec(a)?.[0]) - Number(/^\d+/.exec(b)?.[0]));
  const index = names.indexOf(name);
  if (index < 0) throw new Error(`no migration ${name} in ${migrationsDir}`);
  return index;
}

export async function createDatabaseBeforeMigration(migration: string): Promise<DatabaseBeforeMigration> {
  const { adminUrl, databasePrefix } = readTestHarnessEnv();
  const name = `${databasePrefix}${randomBytes(6).toString("hex")}`;
  await withAdminClient(adminUrl, (a) => a.query(`create database ${pg.escapeIdentifier(name)}`));
  const client = new pg.Client({ connectionString: replaceDatabaseInUrl(adminUrl, name) });
  await client.connect();
  await runner({
    dbClient: client,
    dir: migrationsDir,
    direction: "up",
    count: countMigrationsBefore(migration),
    migrationsTable: "pgmigrations",
    migrationsSchema: "zephr",
    createMigrationsSchema: true,
    checkOrder: true,
    singleTransaction: true,
    log: () => undefined,
  });
  return {
    client,
    async drop() {
      await client.end();
      await withAdminClient(adminUrl, (a) =>
        a.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`),
      );
    },
  };
}
