import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../tools/embedded-postgres/start-embedded-postgres.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const expectedTables = [
  "sync_rejects",
  "sync_runs",
  "sync_watermarks",
  "user_attributes",
  "user_grants",
  "users",
];

async function listZephrTables(pool: pg.Pool): Promise<string[]> {
  const result = await pool.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'zephr' and table_type = 'BASE TABLE' order by table_name",
  );
  return result.rows.map((row) => row.table_name);
}

describe("the test database harness", () => {
  let first: TestDatabase;
  let second: TestDatabase;

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });

  afterAll(async () => {
    await Promise.all([first.drop(), second.drop()]);
  });

  it("gives each test file a fresh database that already has every table of schema zephr", async () => {
    const tables = await listZephrTables(first.pool);
    expect(tables).toEqual(expect.arrayContaining(expectedTables));
    const users = await first.pool.query<{ count: string }>("select count(*) from zephr.users");
    expect(users.rows[0]?.count).toBe("0");
  });

  it("keeps two test databases isolated from each other", async () => {
    expect(first.name).not.toBe(second.name);
    await first.pool.query("insert into zephr.sync_runs (kind) values ('full')");
    const inFirst = await first.pool.query<{ count: string }>("select count(*) from zephr.sync_runs");
    const inSecond = await second.pool.query<{ count: string }>("select count(*) from zephr.sync_runs");
    expect(inFirst.rows[0]?.count).toBe("1");
    expect(inSecond.rows[0]?.count).toBe("0");
  });

  it("drops a test database for good, even while a connection to it is open", async () => {
    const extra = await createTestDatabase();
    const client = new pg.Client({ connectionString: extra.databaseUrl });
    client.on("error", () => undefined);
    await client.connect();
    await extra.drop();
    const found = await first.pool.query("select 1 from pg_database where datname = $1::text", [extra.name]);
    expect(found.rowCount).toBe(0);
    await client.end().catch(() => undefined);
  });
});

describe("the embedded PostgreSQL", () => {
  it("starts on a free port in a new folder, answers queries, and is gone after stop", async () => {
    const parent = await mkdtemp(join(tmpdir(), "zephr-sync-embedded-"));
    try {
      // mkdtemp makes the folder 0700; run as root, postgres runs as OS user postgres and must get through it.
      await chmod(parent, 0o755);
      const dataDir = join(parent, "cluster");
      const server = await startEmbeddedPostgres({ dataDir, persistent: false });
      const client = new pg.Client({ connectionString: server.databaseUrl() });
      await client.connect();
      const result = await client.query<{ version: string }>("select version()");
      await client.end();
      expect(result.rows[0]?.version).toMatch(/^PostgreSQL \d+/);

      await server.stop();
      const after = new pg.Client({ connectionString: server.databaseUrl(), connectionTimeoutMillis: 2000 });
      await expect(after.connect()).rejects.toThrow(/ECONNREFUSED/);
      await expect(stat(dataDir)).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
