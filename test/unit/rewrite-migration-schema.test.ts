import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { migrationsDir } from "../../src/db/migrate.js";
import { rewriteMigrationSchema } from "../../src/db/rewrite-migration-schema.js";

describe("a migration rewritten for another ZEPHR_SCHEMA", () => {
  test("names the schema, quoted, wherever the file names schema zephr, and leaves the shared role and zephr-sync alone", () => {
    const sql = [
      "create schema if not exists zephr;",
      "create table zephr.users (user_id uuid primary key);",
      "comment on table zephr.users is 'Users of zephr-sync; see zephr.user_grants.';",
      "do $$ begin if to_regclass('zephr.pgmigrations') is not null then null; end if; end $$;",
      "grant usage on schema zephr to zephr_analyst;",
      "alter default privileges in schema zephr grant select on tables to zephr_analyst;",
      "drop schema zephr cascade;",
    ].join("\n");
    expect(rewriteMigrationSchema(sql, "tenant_b", "x.sql")).toBe(
      [
        'create schema if not exists "tenant_b";',
        'create table "tenant_b".users (user_id uuid primary key);',
        `comment on table "tenant_b".users is 'Users of zephr-sync; see "tenant_b".user_grants.';`,
        `do $$ begin if to_regclass('"tenant_b".pgmigrations') is not null then null; end if; end $$;`,
        'grant usage on schema "tenant_b" to zephr_analyst;',
        'alter default privileges in schema "tenant_b" grant select on tables to zephr_analyst;',
        'drop schema "tenant_b" cascade;',
      ].join("\n"),
    );
  });

  test.each([
    "set search_path = zephr;",
    "select 1 from pg_namespace where nspname = 'zephr';",
    'create table "zephr".users (user_id uuid);',
    "alter table zephr .users add column x int;",
  ])("refuses a file naming the schema any other way, with its line: %s", (line) => {
    expect(() => rewriteMigrationSchema(`-- a migration\n${line}\n`, "tenant_b", "9_new.sql")).toThrow(
      `Migration 9_new.sql, line 2, names schema zephr`,
    );
  });

  test("every landed migration can be rewritten, and names no schema zephr afterwards", () => {
    for (const file of readdirSync(migrationsDir)) {
      const rewritten = rewriteMigrationSchema(
        readFileSync(join(migrationsDir, file), "utf8"),
        "tenant_b",
        file,
      );
      expect(rewritten.replace(/zephr_analyst|zephr-sync/g, "")).not.toMatch(/\bzephr\b/);
    }
  });
});
