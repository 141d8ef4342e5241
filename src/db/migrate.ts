import { readdir } from "node:fs/promises";
import { extname, join } from "node:path";
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
 *
 * When every migration is already applied, node-pg-migrate is not called at all: it would run
 * `create schema if not exists` and inspect the bookkeeping table's constraints, which needs the
 * privileges of the schema's owner. So the job's own role, with only the privileges of
 * docs/database-privileges.md, can `run` a migrated database; only `migrate` needs the owner.
 */
export async function migrateDatabase(client: pg.ClientBase): Promise<MigrationOutcome> {
  if (await isUpToDate(client)) return { applied: [] };
  // Loaded only when needed: most runs find nothing to apply, and it is the slowest module to load.
  const { runner } = await import("node-pg-migrate");
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

/** Names of the migration files, in the order node-pg-migrate applies them (numeric prefix first). */
async function listMigrationNames(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const prefix = (name: string) => Number(/^\d+/.exec(name)?.[0] ?? Number.NaN);
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
    .map((entry) => entry.name.slice(0, entry.name.length - extname(entry.name).length))
    .sort((a, b) => prefix(a) - prefix(b) || a.localeCompare(b));
}

/**
 * True when the bookkeeping table lists every migration file, in order (the same test node-pg-migrate
 * applies: nothing to run and no file out of order). Any doubt answers false and node-pg-migrate decides.
 */
async function isUpToDate(client: pg.ClientBase): Promise<boolean> {
  const table = await client.query<{ found: boolean }>(
    `select to_regclass('zephr.pgmigrations') is not null as found`,
  );
  if (table.rows[0]?.found !== true) return false;
  const applied = await client.query<{ name: string }>(
    `select name from zephr.pgmigrations order by run_on, id`,
  );
  const files = await listMigrationNames();
  return (
    applied.rows.length >= files.length && files.every((name, index) => applied.rows[index]?.name === name)
  );
}
