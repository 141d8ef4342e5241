import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { analystIndexes } from "../../src/db/analyst-indexes.js";
import { findPackageRoot } from "../../src/package-root.js";
import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { findSecretLeaks, OutputCollector, reliabilityDatabasePassword } from "../support/captured-output.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { createLoginRole } from "../support/login-role.js";
import { runCli, type CliResult } from "../support/cli-process.js";
import { fixtureEnv, testKeys } from "../support/sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { readTestHarnessEnv } from "../support/test-harness-env.js";
import { readWarehouse } from "../support/warehouse-snapshot.js";
import { withAdminClient } from "../support/with-admin-client.js";

/**
 * The job runs with exactly the privileges docs/database-privileges.md lists: the test executes the
 * document's own SQL for the job role (names swapped for this database's), takes PUBLIC's defaults away,
 * and runs every command the nightly job uses as that role.
 */

const docPath = join(findPackageRoot(), "docs", "database-privileges.md");

/** The ```sql block of the document that creates the job role. */
function readJobRoleSql(): string {
  const blocks = [...readFileSync(docPath, "utf8").matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  const block = blocks.find((sql) => /create role zephr_sync_job\b/.test(sql));
  if (block === undefined) throw new Error(`${docPath} has no SQL block creating zephr_sync_job`);
  return block;
}

describe("the job with the least database privileges", () => {
  let db: TestDatabase;
  let simulator: ZephrSimulator;
  let owner: string;
  const role = `zephr_sync_job_${randomBytes(4).toString("hex")}`;
  let env: Record<string, string>;
  const collector = new OutputCollector("privileges");

  async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    const result = await runCli(args, { ...env, ...extraEnv });
    collector.add(`zephr-sync ${args.join(" ")} (stdout)`, result.stdout);
    collector.add(`zephr-sync ${args.join(" ")} (stderr)`, result.stderr);
    return result;
  }

  /** Runs `sql` connected as the job role. */
  async function asJob(sql: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** Name → oid of the analyst indexes present: an index dropped and built again has a new oid. */
  async function analystIndexOids(): Promise<Map<string, number>> {
    const result = await db.pool.query<{ name: string; oid: number }>(
      "select c.relname as name, c.oid::int as oid from pg_class c where c.relname = any($1::text[])",
      [analystIndexes.map((index) => index.name)],
    );
    return new Map(result.rows.map((row) => [row.name, row.oid]));
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    simulator = await startZephrSimulator({ ...testKeys, users: { count: 130, seed: 101 } });
    // The migrated schema belongs to the harness's superuser: it is the owner here.
    owner =
      (
        await db.pool.query<{ owner: string }>(
          "select nspowner::regrole::text as owner from pg_namespace where nspname = 'zephr'",
        )
      ).rows[0]?.owner ?? "";
    const sql = readJobRoleSql()
      .replace(/\bzephr_sync_job\b/g, pg.escapeIdentifier(role))
      .replace(/\bzephr_sync_owner\b/g, pg.escapeIdentifier(owner))
      .replace(/\banalytics\b/g, pg.escapeIdentifier(db.name))
      .replace(/'change-me-job'/g, pg.escapeLiteral(reliabilityDatabasePassword));
    await db.pool.query(`revoke all on database ${pg.escapeIdentifier(db.name)} from public`);
    await db.pool.query(sql);
    const url = new URL(db.databaseUrl);
    url.username = role;
    url.password = reliabilityDatabasePassword;
    env = fixtureEnv(url.toString(), simulator.url, { LOG_LEVEL: "warn" });
  });

  // Each test's output is scanned for secrets as it ends; afterAll keeps it for secrets.test.ts.
  let capturesChecked = 0;
  afterEach(() => {
    expect(findSecretLeaks(collector.captures.slice(capturesChecked))).toEqual([]);
    capturesChecked = collector.captures.length;
  });

  afterAll(async () => {
    collector.flush();
    await simulator.close();
    await db.drop();
    await withAdminClient(readTestHarnessEnv().adminUrl, (admin) =>
      admin.query(`drop role if exists ${pg.escapeIdentifier(role)}`),
    );
  });

  test("the role has nothing beyond the documented grants", async () => {
    const checks = await db.pool.query(
      `select r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
              has_database_privilege($1, $2, 'create') as create_schemas,
              has_database_privilege($1, $2, 'connect, temporary') as connect_temporary,
              has_schema_privilege($1, 'zephr', 'create') as create_in_zephr,
              has_schema_privilege($1, 'public', 'create') as create_in_public,
              has_table_privilege($1, 'zephr.users', 'truncate') as truncate_users,
              has_table_privilege($1, 'zephr.users', 'select, insert, update, delete') as load_users,
              (select count(*) from pg_auth_members m where m.member = r.oid)::int as memberships
         from pg_roles r where r.rolname = $1`,
      [role, db.name],
    );
    expect(checks.rows).toEqual([
      {
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolbypassrls: false,
        create_schemas: false,
        connect_temporary: true,
        create_in_zephr: false,
        create_in_public: false,
        truncate_users: false,
        load_users: true,
        memberships: 0,
      },
    ]);
  });

  test("run, backfill --full, its dry run, status and migrate all work as the job role", async () => {
    const indexesBefore = await analystIndexOids();
    const first = await cli(["run"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Run \d+ \(full, full export\) succeeded: .*130 users received/);
    // Not the tables' owner: its first load keeps the analyst indexes rather than building them anew.
    expect(await analystIndexOids()).toEqual(indexesBefore);
    simulator.store.editAttribute([...simulator.store.userIds()][0] ?? "", "country", "IS");
    const [removed] = [...simulator.store.userIds()].slice(-1);
    simulator.store.remove(removed ?? "");

    const full = await cli(["backfill", "--full", "--dry-run"]);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/1 changed.*1 users would be marked deleted\. Nothing was written\./);

    const reconciled = await cli(["backfill", "--full"]);
    expect(reconciled.code).toBe(0);
    expect(reconciled.stdout).toMatch(/1 users marked deleted/);

    const incremental = await cli(["run"]);
    expect(incremental.code).toBe(0);
    expect(incremental.stdout).toMatch(/\(incremental, since/);

    const status = await cli(["status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ tables: { users: 129, usersDeleted: 1 } });

    const migrate = await cli(["migrate"]);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/up to date/);

    const live = (await readWarehouse(db.pool)).users.filter((u) => !u.deleted);
    expect(live).toEqual(expectedWarehouse(simulator.store).users);
  });

  test("it may not create, drop or truncate anything", async () => {
    await expect(asJob("create table zephr.job_scratch (id int)")).rejects.toMatchObject({ code: "42501" });
    await expect(asJob("create schema job_scratch")).rejects.toMatchObject({ code: "42501" });
    await expect(asJob("truncate zephr.users")).rejects.toMatchObject({ code: "42501" });
    await expect(asJob("drop table zephr.sync_rejects")).rejects.toMatchObject({ code: "42501" });
    await expect(asJob("alter table zephr.users add column x int")).rejects.toMatchObject({ code: "42501" });
  });

  test("with a migration pending, run as the job role fails clearly (exit 1, SQLSTATE 42501) and changes nothing", async () => {
    const last = await db.pool.query<{ id: number; name: string; run_on: string }>(
      "delete from zephr.pgmigrations where id = (select max(id) from zephr.pgmigrations) returning id, name, run_on::text",
    );
    const runsBefore = await db.pool.query("select run_id from zephr.sync_runs");
    try {
      const result = await cli(["run"]);
      expect(result.code).toBe(1);
      expect((await db.pool.query("select run_id from zephr.sync_runs")).rows).toEqual(runsBefore.rows);
      expect(result.stderr).toMatch(
        /\[DB_ERROR\] PostgreSQL failed while applying migrations \[SQLSTATE 42501\]/,
      );
      expect(result.stderr).toMatch(
        /A migration is pending that only the owner of schema zephr may apply: run 'zephr-sync migrate' as the owner first/,
      );
    } finally {
      const row = last.rows[0];
      await db.pool.query(
        "insert into zephr.pgmigrations (id, name, run_on) values ($1::int, $2::text, $3::timestamp)",
        [row?.id, row?.name, row?.run_on],
      );
    }
    expect((await cli(["run"])).code).toBe(0);
  });

  test("an analyst index gone missing: the job role's run says so and succeeds, the owner's run builds it", async () => {
    await db.pool.query("drop index zephr.users_registered_at_idx");
    const asJobRole = await cli(["run"]);
    expect(asJobRole.code).toBe(0);
    expect(asJobRole.stderr).toMatch(
      /analyst indexes are missing.*a run as the owner of the tables builds them/,
    );
    expect(asJobRole.stderr).toMatch(/users_registered_at_idx/);
    expect((await analystIndexOids()).has("users_registered_at_idx")).toBe(false);
    const asOwner = await cli(["run"], { DATABASE_URL: db.databaseUrl });
    expect(asOwner.code).toBe(0);
    expect((await analystIndexOids()).has("users_registered_at_idx")).toBe(true);
  });

  test("a role without CREATE on a database with no schema yet is told to run migrate as the owner", async () => {
    const fresh = await createTestDatabase();
    const bare = await createLoginRole(fresh.databaseUrl, reliabilityDatabasePassword, { superuser: false });
    try {
      await fresh.pool.query("drop schema zephr cascade");
      await fresh.pool.query(
        `grant connect, temporary on database ${pg.escapeIdentifier(fresh.name)} to ${pg.escapeIdentifier(bare.name)}`,
      );
      for (const command of ["migrate", "run"]) {
        const result = await cli([command], { DATABASE_URL: bare.databaseUrl });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
          /\[DB_ERROR\] PostgreSQL failed while applying migrations \[SQLSTATE 42501\]: permission denied for database .*Schema zephr does not exist yet, and the role in DATABASE_URL may not create it .*Run 'zephr-sync migrate' once as the owner .*docs\/database-privileges\.md/,
        );
      }
    } finally {
      await fresh.drop();
      await bare.drop();
    }
  });

  test("a role with no grants on a migrated database is told which grants it lacks, not that a migration failed", async () => {
    const bare = await createLoginRole(db.databaseUrl, reliabilityDatabasePassword, { superuser: false });
    const database = pg.escapeIdentifier(db.name);
    try {
      await db.pool.query(`grant connect on database ${database} to ${pg.escapeIdentifier(bare.name)}`);
      for (const command of ["run", "migrate"]) {
        const result = await cli([command], { DATABASE_URL: bare.databaseUrl });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
          /\[DB_ERROR\] PostgreSQL failed while checking for pending migrations in schema zephr \[SQLSTATE 42501\]: .* No migration was being applied: the role in DATABASE_URL has no usage on schema zephr.*grant them as the owner of the schema, as docs\/database-privileges\.md shows/,
        );
        expect(result.stderr).not.toMatch(/while applying migrations/);
      }
    } finally {
      await db.pool.query(`revoke connect on database ${database} from ${pg.escapeIdentifier(bare.name)}`);
      await bare.drop();
    }
  });
});
