import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import type pg from "pg";
import { findPackageRoot } from "../package-root.js";
import { setSearchPath } from "./pool.js";
import { rewriteMigrationSchema } from "./rewrite-migration-schema.js";

/** migrations/ at the package root: plain .sql files, numbered, never edited once landed. */
export const migrationsDir = join(findPackageRoot(), "migrations");

/** The schema the migration files are written for. */
const writtenSchema = "zephr";

export interface MigrationOutcome {
  readonly applied: readonly string[];
}

/**
 * Applies pending migrations to one warehouse schema (ZEPHR_SCHEMA), on the given connected client,
 * whose search_path it sets to that schema (as every connection of the pool has it). node-pg-migrate
 * takes its own advisory lock, one for the whole database, so two processes migrating at once are safe;
 * the bookkeeping table lives in the schema.
 *
 * The files are written for schema zephr. Another schema applies the same files with their schema
 * rewritten (rewriteMigrationSchema), copied to a temporary folder for node-pg-migrate. So a new
 * migration must:
 * - qualify every name of the warehouse as `zephr.NAME` (also inside strings: to_regclass('zephr.x'),
 *   the text of a comment, a function body) and name the schema itself only as `schema zephr`
 *   (`create schema if not exists zephr`, `grant usage on schema zephr to …`);
 * - never spell the schema any other way (`'zephr'`, `"zephr"`, `set search_path`): the rewrite refuses
 *   such a file, naming its line, rather than let it change schema zephr from another schema's migrate;
 * - treat roles as shared by every schema of the database: zephr_analyst gets the grants on each
 *   schema; a role is created only `if not exists`.
 * test/sync/several-tenants.test.ts migrates a second schema and compares it with schema zephr.
 *
 * When every migration is already applied, node-pg-migrate is not called at all: it would run
 * `create schema if not exists` and inspect the bookkeeping table's constraints, which needs the
 * privileges of the schema's owner. So the job's own role, with only the privileges of
 * docs/database-privileges.md, can `run` a migrated database; only `migrate` needs the owner.
 */
export async function migrateDatabase(client: pg.ClientBase, schema: string): Promise<MigrationOutcome> {
  await setSearchPath(client, schema);
  if (await isUpToDate(client)) return { applied: [] };
  // Loaded only when needed: most runs find nothing to apply, and it is the slowest module to load.
  const { runner } = await import("node-pg-migrate");
  const dir = schema === writtenSchema ? migrationsDir : await writeRewrittenMigrations(schema);
  try {
    const applied = await runner({
      dbClient: client,
      dir,
      direction: "up",
      migrationsTable: "pgmigrations",
      migrationsSchema: schema,
      createMigrationsSchema: true,
      checkOrder: true,
      singleTransaction: true,
      log: () => undefined,
    });
    return { applied: applied.map((m) => m.name) };
  } finally {
    if (dir !== migrationsDir) await rm(dir, { recursive: true, force: true });
  }
}

/** A temporary folder holding every migration file rewritten for `schema`; the caller removes it. */
async function writeRewrittenMigrations(schema: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "zephr-sync-migrations-"));
  try {
    const entries = await readdir(migrationsDir, { withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith(".")) continue;
      const sql = await readFile(join(migrationsDir, entry.name), "utf8");
      await writeFile(join(dir, entry.name), rewriteMigrationSchema(sql, schema, entry.name));
    }
    return dir;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
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
 * True when the schema's bookkeeping table lists every migration file, in order (the same test
 * node-pg-migrate applies: nothing to run and no file out of order). Any doubt answers false and
 * node-pg-migrate decides. The client's search_path is the schema.
 */
async function isUpToDate(client: pg.ClientBase): Promise<boolean> {
  const table = await client.query<{ found: boolean }>(
    `select to_regclass('pgmigrations') is not null as found`,
  );
  if (table.rows[0]?.found !== true) return false;
  const applied = await client.query<{ name: string }>(`select name from pgmigrations order by run_on, id`);
  const files = await listMigrationNames();
  return (
    applied.rows.length >= files.length && files.every((name, index) => applied.rows[index]?.name === name)
  );
}
