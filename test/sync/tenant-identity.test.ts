import { loadSyncConfig } from "../../src/config.js";
import { findTenantBinding } from "../../src/db/sync-tenant.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { normalizeTenantUrl } from "../../src/sync/run/check-tenant.js";
import { runSync, type SyncOutcome, type SyncRequest } from "../../src/sync/run/run-sync.js";
import { captureLogger } from "../schedule/capture-logger.js";
import { expectFailed, expectSucceeded, fixtureEnv, testKeys, TestClock } from "../support/sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

describe("a tenant's identity", () => {
  test("is ZEPHR_BASE_URL's scheme, lowercase host, port and path without a trailing slash", () => {
    expect(normalizeTenantUrl("HTTPS://Acme.API.Zephr.com:443/")).toBe("https://acme.api.zephr.com");
    expect(normalizeTenantUrl("https://acme.api.zephr.com:8443/Proxy/zephr//")).toBe(
      "https://acme.api.zephr.com:8443/Proxy/zephr",
    );
    expect(normalizeTenantUrl("http://127.0.0.1:4000")).toBe("http://127.0.0.1:4000");
    expect(normalizeTenantUrl("https://acme.api.zephr.com")).not.toBe(
      normalizeTenantUrl("https://other.api.zephr.com"),
    );
  });
});

describe("two tenants, one warehouse", () => {
  let db: TestDatabase;
  let tenantA: ZephrSimulator;
  let tenantB: ZephrSimulator;
  const clock = new TestClock();
  const log = captureLogger();

  beforeEach(async () => {
    db = await createTestDatabase();
    tenantA = await startZephrSimulator({ ...testKeys, clock: clock.now, users: { count: 60, seed: 41 } });
    tenantB = await startZephrSimulator({ ...testKeys, clock: clock.now, users: { count: 45, seed: 42 } });
  });

  afterEach(async () => {
    await tenantA.close();
    await tenantB.close();
    await db.drop();
  });

  function run(
    simulatorUrl: string,
    request: SyncRequest = { kind: "incremental" },
    env: Record<string, string> = {},
  ): Promise<SyncOutcome> {
    return runSync(
      {
        config: loadSyncConfig(fixtureEnv(db.databaseUrl, simulatorUrl, env)),
        pool: db.pool,
        logger: log.logger,
        now: clock.now,
        sleep: () => Promise.resolve(),
      },
      request,
    );
  }

  async function countRuns(): Promise<number> {
    const result = await db.pool.query<{ runs: number }>("select count(*)::int as runs from zephr.sync_runs");
    return result.rows[0]?.runs ?? -1;
  }

  test("the first run records the tenant it mirrors", async () => {
    expectSucceeded(await run(`${tenantA.url}/`));
    expect(await findTenantBinding(db.pool)).toMatchObject({ baseUrl: tenantA.url, rebindable: false });
  });

  test("another tenant's run, backfill and dry run are refused before anything is written or asked of Zephr", async () => {
    expectSucceeded(await run(tenantA.url));
    const watermark = await findWatermark(db.pool, usersStream);
    const runs = await countRuns();
    const requests: SyncRequest[] = [
      { kind: "incremental" },
      { kind: "full", purgeDeleted: false },
      { kind: "since", since: new Date(clock.nowMs - 86_400_000) },
      { kind: "full", dryRun: true },
    ];
    for (const request of requests) {
      const failed = expectFailed(await run(tenantB.url, request));
      expect(failed.runId).toBeUndefined();
      expect(failed.error.code).toBe("TENANT_MISMATCH");
      expect(failed.error.message).toContain(`mirrors the Zephr tenant ${tenantA.url}, not ${tenantB.url}`);
      expect(failed.error.message).toContain("point DATABASE_URL at another database");
    }
    expect(tenantB.requests).toEqual([]);
    expect(await countRuns()).toBe(runs);
    expect(await findWatermark(db.pool, usersStream)).toEqual(watermark);
    const deleted = await db.pool.query("select 1 from zephr.users where deleted_at is not null");
    expect(deleted.rowCount).toBe(0);
  });

  test("a rotated key pair of the same tenant is the same tenant", async () => {
    expectSucceeded(await run(tenantA.url));
    const port = new URL(tenantA.url).port;
    await tenantA.close();
    const rotated = { accessKey: "rotated-access-key", secretKey: "rotated-secret-key" };
    tenantA = await startZephrSimulator({
      ...rotated,
      port: Number(port),
      clock: clock.now,
      users: { count: 60, seed: 41 },
    });
    clock.advance(3_600_000);
    expectSucceeded(
      await run(
        `${tenantA.url}/`,
        { kind: "incremental" },
        {
          ZEPHR_ACCESS_KEY: rotated.accessKey,
          ZEPHR_SECRET_KEY: rotated.secretKey,
        },
      ),
    );
  });

  test("a warehouse with no user and no succeeded run is bound anew to another tenant, and that is logged", async () => {
    tenantA.faults.push({ kind: "status", status: 401 });
    expect(expectFailed(await run(tenantA.url)).error.code).toBe("ZEPHR_AUTH");
    expect(await findTenantBinding(db.pool)).toMatchObject({ baseUrl: tenantA.url, rebindable: true });
    expectSucceeded(await run(tenantB.url));
    expect(await findTenantBinding(db.pool)).toMatchObject({ baseUrl: tenantB.url, rebindable: false });
    expect(
      log.lines().some((line) => line.tenant === tenantB.url && line.previousTenant === tenantA.url),
    ).toBe(true);
  });
});
