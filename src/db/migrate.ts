import { join } from "node:path";
import { runner } from "node-pg-migrate";
import type pg from "pg";
import { findPackageRoot } from "../package-root.js";

/** migrations/ at the package root: plain .sql files, numbered, never edited once landed. */
export const migrationsDir = join(findPackageRoot(), "migrations");

export interface MigrationOutcome {
  readonly applied: readonly string[];
}

/**
 * Applies pending migrations on the given connected client. node-pg-migrate takes its own advisory lock,
 * so two processes migrating at once are safe; the bookkeeping table lives in schema zephr.
 */
export async function migrateDatabase(client: pg.ClientBase): Promise<MigrationOutcome> {
  const applied = await runner({
    dbClient: client,
    dir: migrationsDir,
    direction: "up",
    migrationsTable: "pgmigrations",
    migrationsSchema: "zephr",
    createMigrationsSchema: true,
    checkOrder: true,
    singleTransaction: true,
    log: () => undefined,
  });
  return { applied: applied.map((m) => m.name) };
}
