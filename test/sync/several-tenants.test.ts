import pg from "pg";
import { loadSyncConfig } from "../../src/config.js";
import { migrateDatabase } from "../../src/db/migrate.js";
import { createPool, type Pool } from "../../src/db/pool.js";
import { runLockKey, runLockKeyOf } from "../../src/db/run-lock.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { createLogger } from "../../src/logger.js";
import { generateUserId, startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { runSync, type SyncOutcome, type SyncRequest } from "../../src/sync/run/run-sync.js";
import { expectedWarehouse } from "../support/expected-warehouse.js";
import { changeSource } from "../support/source-changes.js";
import { runCli } from "../support/cli-process.js";
import { expectFailed, expectSucceeded, fixtureEnv, testKeys, TestClock } from "../support/sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { readRowVersions, readWarehouse, type WarehouseSnapshot } from "../support/warehouse-snapshot.js";

/**
 * Two Zephr tenants in one database (ZEPHR_SCHEMA): tenant A in schema zephr (the default), tenant B in
 * schema tenant_b. Each has its own tables, views, watermark, run lock and tenant binding, and neither's
 * runs touch the other's rows.
 */

const dayMs = 86_400_000;
const seedA = 51;
const seedB = 52;

interface Tenant {
  readonly schema: string;
  readonly simulator: ZephrSimulator;
  /** A pool whose search_path is the tenant's schema, as the product's pools are. */
  readonly pool: Pool;
  run(request?: SyncRequest): Promise<SyncOutcome>;
}

/** The live users of a warehouse snapshot (a full export keeps deleted users, flagged). */
function liveOnly(snapshot: WarehouseSnapshot): WarehouseSnapshot {
  return { ...snapshot, users: snapshot.users.filter((user) => !user.deleted) };
}

async function deletedUserIds(pool: Pool): Promise<string[]> {
  const result = await pool.query<{ user_id: string }>(
    "select user_id::text from users where deleted_at is not null order by user_id",
  );
  return result.rows.map((row) => row.user_id);
}

/** The schema's relations (tables, views, indexes, sequences) with their columns, comments and analyst access. */
async function describeSchema(pool: Pool, schema: string): Promise<unknown[]> {
  const result = await pool.query<Record<string, unknown>>(
    `select c.relname, c.relkind, obj_description(c.oid, 'pg_class') as comment,
            has_table_privilege('zephr_analyst', c.oid, 'select') as analyst_reads,
            array(select a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
                         || coalesce(col_description(c.oid, a.attnum), '')
                    from pg_attribute a
                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                   order by a.attnum) as columns,
            array(select t.tgname || ' ' || p.proname || ' ' || (p.pronamespace = c.relnamespace)::text
                    from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                   where t.tgrelid = c.oid and not t.tgisinternal
                   order by t.tgname) as triggers
       from pg_class c
      where c.relnamespace = (select oid from pg_namespace where nspname = $1::text)
        and c.relkind in ('r', 'v', 'm', 'i', 'S')
      order by c.relname`,
    [schema],
  );
  // Comments that name a table name it in their own schema: "zephr".x in one is "tenant_b".x in the other.
  return JSON.parse(JSON.stringify(result.rows).replaceAll(`\\"${schema}\\".`, "zephr.")) as unknown[];
}

/** Definitions of the schema's views and functions that mention schema zephr (none should, outside it). */
async function definitionsNamingZephr(pool: Pool, schema: string): Promise<string[]> {
  const result = await pool.query<{ name: string }>(
    `select c.relname as name
       from pg_class c
      where c.relnamespace = (select oid from pg_namespace where nspname = $1::text)
        and c.relkind = 'v' and pg_get_viewdef(c.oid) ~ '\\mzephr\\.'
     union all
     select p.proname
       from pg_proc p
      where p.pronamespace = (select oid from pg_namespace where nspname = $1::text)
        and p.prosrc ~ '\\mzephr\\.'`,
    [schema],
  );
  return result.rows.map((row) => row.name);
}

describe("several tenants in one database, each in a schema of its own", () => {
  let db: TestDatabase;
  let tenantA: Tenant;
  let tenantB: Tenant;
  const clock = new TestClock();
  const logger = createLogger("silent");
  const extraPools: Pool[] = [];

  function openSchemaPool(schema: string): Pool {
    const pool = createPool(
      { databaseUrl: db.databaseUrl, schema, applicationName: "zephr-sync-test" },
      () => {
        // An idle connection ended by the database's drop: nothing to report.
      },
    );
    extraPools.push(pool);
    return pool;
  }

  function tenant(schema: string, simulator: ZephrSimulator, pool: Pool): Tenant {
    const config = loadSyncConfig(fixtureEnv(db.databaseUrl, simulator.url, { ZEPHR_SCHEMA: schema }));
    return {
      schema,
      simulator,
      pool,
      run: (request = { kind: "incremental" }) =>
        runSync({ config, pool, logger, now: clock.now, sleep: () => Promise.resolve() }, request),
    };
  }

  async function migrate(pool: Pool, schema: string): Promise<readonly string[]> {
    const client = await pool.connect();
    try {
      return (await migrateDatabase(client, schema)).applied;
    } finally {
      client.release();
    }
  }

  beforeEach(async () => {
    db = await createTestDatabase();
    const poolB = openSchemaPool("tenant_b");
    await migrate(poolB, "tenant_b");
    const simulatorA = await startZephrSimulator({
      ...testKeys,
      clock: clock.now,
      users: { count: 90, seed: seedA },
    });
    const simulatorB = await startZephrSimulator({
      ...testKeys,
      clock: clock.now,
      users: { count: 70, seed: seedB },
    });
    tenantA = tenant("zephr", simulatorA, db.pool);
    tenantB = tenant("tenant_b", simulatorB, poolB);
  });

  afterEach(async () => {
    await tenantA.simulator.close();
    await tenantB.simulator.close();
    await Promise.all(extraPools.splice(0).map((pool) => pool.end()));
    await db.drop();
  });

  test("another schema gets the same tables, views, indexes, comments, triggers and analyst grants as schema zephr, all its own", async () => {
    const zephr = await describeSchema(db.pool, "zephr");
    expect(zephr.length).toBeGreaterThan(40);
    expect(await describeSchema(db.pool, "tenant_b")).toEqual(zephr);
    expect(await definitionsNamingZephr(db.pool, "tenant_b")).toEqual([]);
    const applied = await db.pool.query<{ name: string }>(
      "select name from tenant_b.pgmigrations order by id",
    );
    const inZephr = await db.pool.query<{ name: string }>("select name from zephr.pgmigrations order by id");
    expect(applied.rows).toEqual(inZephr.rows);
    // Applying again finds nothing to do.
    expect(await migrate(tenantB.pool, "tenant_b")).toEqual([]);
  });

  test("each tenant's runs, incremental and backfill --full, write only its own schema and move only its own watermark", async () => {
    expectSucceeded(await tenantA.run());
    expectSucceeded(await tenantB.run());
    expect(await readWarehouse(tenantA.pool)).toEqual(expectedWarehouse(tenantA.simulator.store));
    expect(await readWarehouse(tenantB.pool)).toEqual(expectedWarehouse(tenantB.simulator.store));
    const watermarkB = await findWatermark(tenantB.pool, usersStream);
    expect(watermarkB).not.toBeNull();

    // An incremental run of A: B's rows and watermark stay as they were.
    clock.advance(dayMs);
    changeSource(tenantA.simulator.store);
    const versionsB = await readRowVersions(tenantB.pool);
    const incrementalA = expectSucceeded(await tenantA.run());
    expect(incrementalA.kind).toBe("incremental");
    expect(await readWarehouse(tenantA.pool)).toEqual(expectedWarehouse(tenantA.simulator.store));
    expect(await readRowVersions(tenantB.pool)).toEqual(versionsB);
    expect(await findWatermark(tenantB.pool, usersStream)).toEqual(watermarkB);
    expect((await findWatermark(tenantA.pool, usersStream))?.getTime()).toBeGreaterThan(
      watermarkB?.getTime() ?? 0,
    );

    // A full reconciliation of B marks deleted only B's users that B no longer lists; A's stay.
    clock.advance(dayMs);
    changeSource(tenantB.simulator.store);
    const goneB = [generateUserId(3, seedB), generateUserId(40, seedB)].sort();
    for (const id of goneB) tenantB.simulator.store.remove(id);
    const versionsA = await readRowVersions(tenantA.pool);
    const watermarkA = await findWatermark(tenantA.pool, usersStream);
    expect(expectSucceeded(await tenantB.run({ kind: "full", purgeDeleted: false }))).toMatchObject({
      kind: "full",
      usersDeleted: 2,
    });
    expect(await deletedUserIds(tenantB.pool)).toEqual(goneB);
    expect(liveOnly(await readWarehouse(tenantB.pool)).users).toEqual(
      expectedWarehouse(tenantB.simulator.store).users,
    );
    expect(await readRowVersions(tenantA.pool)).toEqual(versionsA);
    expect(await findWatermark(tenantA.pool, usersStream)).toEqual(watermarkA);
    expect(await deletedUserIds(tenantA.pool)).toEqual([]);

    // And A's own full reconciliation finds all of A's users: B's deletions were not A's.
    expect(expectSucceeded(await tenantA.run({ kind: "full", purgeDeleted: false }))).toMatchObject({
      usersDeleted: 0,
    });
    expect(await readWarehouse(tenantA.pool)).toEqual(expectedWarehouse(tenantA.simulator.store));
    const runs = await db.pool.query<{ schema: string; runs: number }>(
      `select 'zephr' as schema, count(*)::int as runs from zephr.sync_runs
       union all select 'tenant_b', count(*)::int from tenant_b.sync_runs`,
    );
    expect(runs.rows).toEqual([
      { schema: "zephr", runs: 3 },
      { schema: "tenant_b", runs: 2 },
    ]);
  });

  test("each schema has its own run lock: one tenant's run does not wait for the other's, nor skip it", async () => {
    expect(runLockKeyOf("zephr")).toBe(runLockKey);
    expect(runLockKeyOf("tenant_b")).not.toBe(runLockKey);
    const holder = new pg.Client({ connectionString: db.databaseUrl });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock($1::bigint)", [runLockKeyOf("zephr")]);
      expect((await tenantA.run()).status).toBe("locked");
      expectSucceeded(await tenantB.run());
      await holder.query("select pg_advisory_unlock_all()");
      await holder.query("select pg_advisory_lock($1::bigint)", [runLockKeyOf("tenant_b")]);
      expect((await tenantB.run()).status).toBe("locked");
      expectSucceeded(await tenantA.run());
    } finally {
      await holder.end();
    }
    // Both at once: each takes its own lock, and each warehouse is its tenant's.
    clock.advance(dayMs);
    changeSource(tenantA.simulator.store);
    changeSource(tenantB.simulator.store);
    const [outcomeA, outcomeB] = await Promise.all([tenantA.run(), tenantB.run()]);
    expectSucceeded(outcomeA);
    expectSucceeded(outcomeB);
    expect(await readWarehouse(tenantA.pool)).toEqual(expectedWarehouse(tenantA.simulator.store));
    expect(await readWarehouse(tenantB.pool)).toEqual(expectedWarehouse(tenantB.simulator.store));
  });

  test("each schema remembers its own tenant: B into schema zephr is refused with a message offering ZEPHR_SCHEMA", async () => {
    expectSucceeded(await tenantA.run());
    const intruder = tenant("zephr", tenantB.simulator, db.pool);
    const failed = expectFailed(await intruder.run());
    expect(failed.error.code).toBe("TENANT_MISMATCH");
    expect(failed.error.message).toContain(
      `Schema zephr (ZEPHR_SCHEMA) of this database mirrors the Zephr tenant ${tenantA.simulator.url}, not ${tenantB.simulator.url}`,
    );
    expect(failed.error.message).toContain("point DATABASE_URL at another database");
    expect(failed.error.message).toContain("set ZEPHR_SCHEMA");
    expect(failed.error.message).toContain("zephr.sync_tenants.base_url");
    expect(tenantB.simulator.requests).toEqual([]);
    // In its own schema, B is welcome; and A, now, is the stranger there.
    expectSucceeded(await tenantB.run());
    const stranger = expectFailed(await tenant("tenant_b", tenantA.simulator, tenantB.pool).run());
    expect(stranger.error.code).toBe("TENANT_MISMATCH");
    expect(stranger.error.message).toContain("Schema tenant_b (ZEPHR_SCHEMA)");
    expect(stranger.error.message).toContain("tenant_b.sync_tenants.base_url");
  });

  test("a schema that was never migrated fails loudly instead of reading or writing schema zephr", async () => {
    expectSucceeded(await tenantA.run());
    const versionsA = await readRowVersions(tenantA.pool);
    const unmigrated = tenant("tenant_x", tenantB.simulator, openSchemaPool("tenant_x"));
    const failed = expectFailed(await unmigrated.run());
    expect(failed.error.message).toMatch(/relation "sync_tenants" does not exist/);
    expect(await readRowVersions(tenantA.pool)).toEqual(versionsA);
    const runs = await db.pool.query("select 1 from zephr.sync_runs");
    expect(runs.rowCount).toBe(1);
  });

  test("the analyst role reads every tenant's schema and writes none", async () => {
    expectSucceeded(await tenantA.run());
    expectSucceeded(await tenantB.run());
    const analyst = new pg.Client({ connectionString: db.databaseUrl });
    await analyst.connect();
    try {
      await analyst.query("set role zephr_analyst");
      const counts = await analyst.query<{ a: number; b: number; grants_b: number }>(
        `select (select count(*)::int from zephr.current_users) as a,
                (select count(*)::int from tenant_b.current_users) as b,
                (select count(*)::int from tenant_b.active_grants) as grants_b`,
      );
      expect(counts.rows[0]).toMatchObject({ a: 90, b: 70 });
      expect(counts.rows[0]?.grants_b).toBeGreaterThan(0);
      await expect(analyst.query("delete from tenant_b.users")).rejects.toThrow(/permission denied/);
    } finally {
      await analyst.end();
    }
  });

  test("the CLI takes the schema from ZEPHR_SCHEMA: migrate, run and status of each tenant", async () => {
    // The CLI runs on the real clock, so do these tenants' simulators (Zephr checks request times).
    const realA = await startZephrSimulator({ ...testKeys, users: { count: 90, seed: seedA } });
    const realB = await startZephrSimulator({ ...testKeys, users: { count: 70, seed: seedB } });
    try {
      const envOf = (schema: string, simulator: ZephrSimulator) =>
        fixtureEnv(db.databaseUrl, simulator.url, { ZEPHR_SCHEMA: schema });
      const migrated = await runCli(["migrate"], envOf("tenant_c", realB));
      expect(migrated.stderr).toBe("");
      expect(migrated.code).toBe(0);
      expect(await describeSchema(db.pool, "tenant_c")).toEqual(await describeSchema(db.pool, "zephr"));
      expect((await runCli(["run"], envOf("zephr", realA))).code).toBe(0);
      expect((await runCli(["run"], envOf("tenant_c", realB))).code).toBe(0);
      const mismatch = await runCli(["run"], envOf("zephr", realB));
      expect(mismatch.code).toBe(2);
      expect(mismatch.stdout).toContain("[TENANT_MISMATCH]");
      expect(mismatch.stdout).toContain("set ZEPHR_SCHEMA");

      const statusOf = async (schema: string) => {
        const result = await runCli(["status", "--json"], {
          DATABASE_URL: db.databaseUrl,
          ZEPHR_SCHEMA: schema,
        });
        expect(result.code).toBe(0);
        return JSON.parse(result.stdout) as {
          tenant: { baseUrl: string } | null;
          watermark: string | null;
          tables: { users: number };
          runs: unknown[];
        };
      };
      const statusA = await statusOf("zephr");
      const statusC = await statusOf("tenant_c");
      expect(statusA).toMatchObject({ tenant: { baseUrl: realA.url }, tables: { users: 90 } });
      expect(statusC).toMatchObject({ tenant: { baseUrl: realB.url }, tables: { users: 70 } });
      expect(statusA.runs).toHaveLength(1);
      expect(statusC.runs).toHaveLength(1);
      expect(statusC.watermark).not.toBeNull();
    } finally {
      await realA.close();
      await realB.close();
    }

    const invalid = await runCli(["status"], { DATABASE_URL: db.databaseUrl, ZEPHR_SCHEMA: "Tenant-C" });
    expect(invalid.code).toBe(2);
    expect(invalid.stdout + invalid.stderr).toMatch(
      /ZEPHR_SCHEMA="Tenant-C" must be a lowercase schema name/,
    );
  });
});
