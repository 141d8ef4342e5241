import { loadDatabaseConfig, loadSyncConfig, redactDatabaseUrl } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { formatDurationMs, parseDurationMs } from "../../src/duration.js";

const complete = {
  DATABASE_URL: "postgres://u:p@localhost:5432/db",
  ZEPHR_BASE_URL: "https://acme.api.zephr.com/",
  ZEPHR_ACCESS_KEY: "access",
  ZEPHR_SECRET_KEY: "secret",
};

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  test("a complete environment gives frozen config with documented defaults", () => {
    const config = loadSyncConfig(complete);
    expect(config).toMatchObject({
      databaseUrl: complete.DATABASE_URL,
      lookbackMs: 3_600_000,
      batchSize: 1000,
      zephr: {
        baseUrl: "https://acme.api.zephr.com",
        pageSize: 500,
        grantTimezone: "UTC",
        watermarkClock: "server",
      },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.zephr)).toBe(true);
  });

  test("every problem is listed at once, each naming its variable", () => {
    const problems = problemsOf(() =>
      loadSyncConfig({ SYNC_LOOKBACK: "soon", ZEPHR_PAGE_SIZE: "0", ZEPHR_TIMEZONE: "Mars/Olympus" }),
    );
    const text = problems.join("\n");
    for (const name of [
      "DATABASE_URL",
      "ZEPHR_BASE_URL",
      "ZEPHR_ACCESS_KEY",
      "ZEPHR_SECRET_KEY",
      "SYNC_LOOKBACK",
      "ZEPHR_PAGE_SIZE",
      "ZEPHR_TIMEZONE",
    ]) {
      expect(text).toContain(name);
    }
    expect(problems).toHaveLength(7);
  });

  test("status and migrate need only the database", () => {
    expect(loadDatabaseConfig({ DATABASE_URL: complete.DATABASE_URL }).databaseUrl).toBe(
      complete.DATABASE_URL,
    );
  });

  test("the warehouse schema is zephr unless ZEPHR_SCHEMA names another, for every command", () => {
    expect(loadSyncConfig(complete).schema).toBe("zephr");
    expect(loadDatabaseConfig({ DATABASE_URL: complete.DATABASE_URL }).schema).toBe("zephr");
    expect(loadSyncConfig({ ...complete, ZEPHR_SCHEMA: " tenant_b " }).schema).toBe("tenant_b");
    expect(loadDatabaseConfig({ DATABASE_URL: complete.DATABASE_URL, ZEPHR_SCHEMA: "_acme2" }).schema).toBe(
      "_acme2",
    );
    expect(loadSyncConfig({ ...complete, ZEPHR_SCHEMA: "a".repeat(63) }).schema).toHaveLength(63);
  });

  test.each([
    ["Tenant_B", /must be a lowercase schema name/],
    ["tenant-b", /must be a lowercase schema name/],
    ["2tenant", /must be a lowercase schema name/],
    ['zephr"; drop schema zephr; --', /must be a lowercase schema name/],
    ["a".repeat(64), /must be a lowercase schema name/],
    ["public", /reserves or every database shares/],
    ["pg_catalog", /reserves or every database shares/],
    ["pg_tenant", /reserves or every database shares/],
    ["information_schema", /reserves or every database shares/],
  ])("ZEPHR_SCHEMA=%j is a configuration error naming the variable", (schema, reason) => {
    for (const load of [
      () => loadSyncConfig({ ...complete, ZEPHR_SCHEMA: schema }),
      () => loadDatabaseConfig({ DATABASE_URL: complete.DATABASE_URL, ZEPHR_SCHEMA: schema }),
    ]) {
      const problems = problemsOf(load);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^ZEPHR_SCHEMA=/);
      expect(problems[0]).toMatch(reason);
    }
  });

  test("an invalid ZEPHR_SCHEMA is listed with the other problems", () => {
    const problems = problemsOf(() => loadSyncConfig({ ZEPHR_SCHEMA: "Bad-Name", ZEPHR_PAGE_SIZE: "0" }));
    expect(problems.filter((problem) => problem.startsWith("ZEPHR_SCHEMA="))).toHaveLength(1);
    expect(problems.join("\n")).toContain("ZEPHR_PAGE_SIZE");
    expect(problems.join("\n")).toContain("DATABASE_URL");
  });

  test("a base URL with credentials or a query is refused", () => {
    expect(
      problemsOf(() => loadSyncConfig({ ...complete, ZEPHR_BASE_URL: "https://u:p@x.test/?a=1" })).join(),
    ).toMatch(/must not contain credentials/);
  });

  test("the secret never appears in a configuration error", () => {
    const problems = problemsOf(() =>
      loadSyncConfig({ ...complete, ZEPHR_SECRET_KEY: "s3cr3t", ZEPHR_RETRIES: "many" }),
    );
    expect(problems.join("\n")).not.toContain("s3cr3t");
  });

  test("the database password is redacted for messages", () => {
    expect(redactDatabaseUrl("postgres://me:hunter2@db:5432/x")).toBe("postgres://me:***@db:5432/x");
  });
});

describe("durations", () => {
  test.each([
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["7d", 604_800_000],
    ["0", 0],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
    if (ms > 0) expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
  });

  test.each(["", "1", "h", "1x", "1h 30m", "-1h"])("%j is not a duration", (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});
