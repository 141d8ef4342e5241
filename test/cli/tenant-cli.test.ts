import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { runCli } from "../support/cli-process.js";
import { fixtureEnv, testKeys } from "../support/sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

describe("zephr-sync against a database that mirrors another tenant, as a spawned process", () => {
  let db: TestDatabase;
  let tenantA: ZephrSimulator;
  let tenantB: ZephrSimulator;

  beforeAll(async () => {
    db = await createTestDatabase();
    tenantA = await startZephrSimulator({ ...testKeys, users: { count: 30, seed: 51 } });
    tenantB = await startZephrSimulator({ ...testKeys, users: { count: 20, seed: 52 } });
  });

  afterAll(async () => {
    await tenantA.close();
    await tenantB.close();
    await db.drop();
  });

  test("refuses the second tenant with exit 2 and says what to do, and status shows the first", async () => {
    const first = await runCli(["run"], fixtureEnv(db.databaseUrl, tenantA.url));
    expect(first.code).toBe(0);

    const other = await runCli(["run"], fixtureEnv(db.databaseUrl, tenantB.url));
    expect(other.code).toBe(2);
    expect(other.stdout).toContain("[TENANT_MISMATCH]");
    expect(other.stdout).toContain(`mirrors the Zephr tenant ${tenantA.url}, not ${tenantB.url}`);
    expect(other.stdout).toContain("point DATABASE_URL at another database");
    const backfill = await runCli(["backfill", "--full"], fixtureEnv(db.databaseUrl, tenantB.url));
    expect(backfill.code).toBe(2);
    const dryRun = await runCli(["backfill", "--full", "--dry-run"], fixtureEnv(db.databaseUrl, tenantB.url));
    expect(dryRun.code).toBe(2);
    expect(tenantB.requests.filter((r) => r.path === "/v3/user-export")).toEqual([]);

    const status = await runCli(["status"], { DATABASE_URL: db.databaseUrl, LOG_LEVEL: "silent" });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^Tenant: +${tenantA.url.replace(/\./g, "\\.")} \\(since `, "m"),
    );
    const json = await runCli(["status", "--json"], { DATABASE_URL: db.databaseUrl, LOG_LEVEL: "silent" });
    expect((JSON.parse(json.stdout) as { tenant: unknown }).tenant).toEqual({
      baseUrl: tenantA.url,
      boundAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
  });

  test("schedule refuses the second tenant at start with exit 2 and the same message, instead of failing every tick", async () => {
    const first = await runCli(["run"], fixtureEnv(db.databaseUrl, tenantA.url));
    expect(first.code).toBe(0);
    const requestsBefore = tenantB.requests.length;

    // A cron that would fire every second: had the scheduler started, its ticks would reach tenant B.
    const schedule = await runCli(
      ["schedule"],
      fixtureEnv(db.databaseUrl, tenantB.url, { SYNC_SCHEDULE: "* * * * * *", LOG_LEVEL: "info" }),
      { timeoutMs: 20_000 },
    );
    expect(schedule.code).toBe(2);
    expect(schedule.stderr).toContain("zephr-sync: [TENANT_MISMATCH] ");
    expect(schedule.stderr).toContain(
      `mirrors the Zephr tenant ${tenantA.url}, not ${tenantB.url} (ZEPHR_BASE_URL)`,
    );
    expect(schedule.stderr).toContain("point DATABASE_URL at another database");
    expect(schedule.stderr).not.toMatch(/scheduler started|tick: starting a run/);
    expect(tenantB.requests.length).toBe(requestsBefore);
  });
});
