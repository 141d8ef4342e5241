import {
  loadDatabaseConfig,
  loadScheduleConfig,
  loadSyncConfig,
  stateEventsDefaults,
} from "../../src/config.js";
import { configSpec, variableNames } from "../../src/config/config-spec.js";
import { ConfigError } from "../../src/errors.js";

const complete = {
  DATABASE_URL: "postgres://u:p@localhost:5432/db",
  ZEPHR_BASE_URL: "https://acme.api.zephr.com",
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
  return [];
}

describe("the config spec", () => {
  test("gives each field of a config object to one variable only", () => {
    const seen = new Map<string, string>();
    for (const name of variableNames) {
      const { section, field } = configSpec[name];
      const key = `${section}.${field}`;
      expect([key, seen.get(key)]).toEqual([key, undefined]);
      seen.set(key, name);
    }
  });

  test("has defaults that its own kinds accept, and that the loaded config holds", () => {
    const config = loadScheduleConfig(complete);
    expect(config).toMatchObject({
      schema: "zephr",
      statementTimeoutMs: 0,
      connectTimeoutMs: 10_000,
      logLevel: "info",
      logLevelSet: false,
      lookbackMs: 3_600_000,
      shutdownTimeoutMs: 30_000,
      maxDeleteFraction: 0.5,
      countTolerance: 0.001,
      syncSchedule: "0 2 * * *",
      fullSyncSchedule: undefined,
      timezone: "UTC",
      metricsPort: undefined,
      metricsHost: "127.0.0.1",
      zephr: { allowHttp: false, retryMinMs: 1000, retryMaxMs: 60_000, caFile: undefined },
      stateEvents: { enabled: false, backfillMs: 30 * 86_400_000, windowMs: 86_400_000, batchRows: 2000 },
    });
    expect(Object.isFrozen(config.stateEvents)).toBe(true);
    expect(stateEventsDefaults).toEqual(config.stateEvents);
  });

  test("reads a blank variable as unset, and a set one trimmed", () => {
    const config = loadSyncConfig({ ...complete, SYNC_LOOKBACK: "  ", LOG_LEVEL: " debug " });
    expect(config.lookbackMs).toBe(3_600_000);
    expect(config.logLevel).toBe("debug");
    expect(config.logLevelSet).toBe(true);
    expect(loadSyncConfig({ ...complete, LOG_LEVEL: "" }).logLevelSet).toBe(false);
  });

  test("keeps optional values explicitly undefined, so every field is present", () => {
    const config = loadScheduleConfig(complete);
    expect(Object.keys(config.zephr)).toContain("caFile");
    expect(Object.keys(config)).toEqual(expect.arrayContaining(["fullSyncSchedule", "metricsPort"]));
  });

  test("checks for each command only the variables it reads", () => {
    const database = loadDatabaseConfig({ DATABASE_URL: complete.DATABASE_URL, SYNC_LOOKBACK: "soon" });
    expect(database).not.toHaveProperty("lookbackMs");
    expect(database).not.toHaveProperty("zephr");
    expect(problemsOf(() => loadSyncConfig({ ...complete, SYNC_SCHEDULE: "never" }))).toEqual([]);
    expect(problemsOf(() => loadScheduleConfig({ ...complete, SYNC_SCHEDULE: "never" }))).toHaveLength(1);
  });
});

describe("configuration problems", () => {
  test.each([
    ["ZEPHR_PAGE_SIZE", "0", 'ZEPHR_PAGE_SIZE="0" must be a whole number from 1 to 10000'],
    ["SYNC_BATCH_SIZE", "1e3", 'SYNC_BATCH_SIZE="1e3" must be a whole number from 1 to 50000'],
    [
      "ZEPHR_IDLE_TIMEOUT",
      "50ms",
      'ZEPHR_IDLE_TIMEOUT="50ms" must be a duration such as 30s, 15m, 1h or 1h30m of at least 100ms',
    ],
    ["SYNC_LOOKBACK", "an hour", 'SYNC_LOOKBACK="an hour" must be a duration such as 30s, 15m, 1h or 1h30m'],
    [
      "SYNC_MAX_DELETE_FRACTION",
      "1.5",
      'SYNC_MAX_DELETE_FRACTION="1.5" must be a number from 0 to 1, e.g. 0.5',
    ],
    ["ZEPHR_WATERMARK_CLOCK", "remote", 'ZEPHR_WATERMARK_CLOCK="remote" must be one of: server, local'],
    ["ZEPHR_STATE_EVENTS", "yes", 'ZEPHR_STATE_EVENTS="yes" must be one of: false, true'],
    ["LOG_LEVEL", "loud", 'LOG_LEVEL="loud" must be one of: fatal, error, warn, info, debug, trace, silent'],
    [
      "ZEPHR_TIMEZONE",
      "Mars/Olympus",
      'ZEPHR_TIMEZONE="Mars/Olympus" is not an IANA time zone (e.g. UTC, Europe/London)',
    ],
    ["ZEPHR_CA_FILE", "/nonexistent/ca.pem", 'ZEPHR_CA_FILE="/nonexistent/ca.pem" does not exist'],
    ["ZEPHR_BASE_URL", "acme", 'ZEPHR_BASE_URL="acme" is not a URL (expected https://TENANT.api.zephr.com)'],
    [
      "ZEPHR_BASE_URL",
      "ftp://acme.test",
      "ZEPHR_BASE_URL must be an https:// (or, for a local simulator, http://) URL",
    ],
    ["DATABASE_URL", "mysql://me:hunter2@db/x", "DATABASE_URL must start with postgres:// or postgresql://"],
    [
      "ZEPHR_ACCESS_KEY",
      " ",
      "ZEPHR_ACCESS_KEY is not set: the access key of an Admin API key pair (Zephr console → Settings)",
    ],
  ])("%s=%j is refused with a message naming it and what it must be", (name, value, message) => {
    expect(problemsOf(() => loadSyncConfig({ ...complete, [name]: value }))).toEqual([message]);
  });

  test.each([
    ["METRICS_PORT", "70000", 'METRICS_PORT="70000" must be a port number from 1 to 65535'],
    [
      "FULL_SYNC_SCHEDULE",
      "0 2 * *",
      'FULL_SYNC_SCHEDULE="0 2 * *" is not a cron expression (4 fields, where 5 are expected (or 6 with seconds first); minute hour day-of-month month day-of-week, e.g. "0 2 * * *")',
    ],
    [
      "SYNC_TIMEZONE",
      "Europe/Atlantis",
      'SYNC_TIMEZONE="Europe/Atlantis" is not an IANA time zone (e.g. UTC, Europe/London)',
    ],
  ])("schedule: %s=%j is refused with a message naming it", (name, value, message) => {
    expect(problemsOf(() => loadScheduleConfig({ ...complete, [name]: value }))).toEqual([message]);
  });

  test("ZEPHR_RETRY_MAX shorter than ZEPHR_RETRY_MIN is listed with the other problems", () => {
    const problems = problemsOf(() =>
      loadSyncConfig({ ...complete, ZEPHR_RETRY_MIN: "10s", ZEPHR_RETRY_MAX: "5s", ZEPHR_PAGE_SIZE: "0" }),
    );
    expect(problems).toEqual([
      'ZEPHR_PAGE_SIZE="0" must be a whole number from 1 to 10000',
      "ZEPHR_RETRY_MAX must not be shorter than ZEPHR_RETRY_MIN",
    ]);
  });

  test("a check across variables stays silent when one of them is itself invalid", () => {
    expect(problemsOf(() => loadSyncConfig({ ...complete, ZEPHR_RETRY_MAX: "soon" }))).toEqual([
      'ZEPHR_RETRY_MAX="soon" must be a duration such as 30s, 15m, 1h or 1h30m',
    ]);
    expect(
      problemsOf(() =>
        loadSyncConfig({ ...complete, ZEPHR_BASE_URL: "http://acme.api.zephr.com", ZEPHR_ALLOW_HTTP: "yes" }),
      ),
    ).toEqual(['ZEPHR_ALLOW_HTTP="yes" must be one of: false, true']);
  });

  test("a base URL's credentials and a database password never appear in a problem", () => {
    const problems = problemsOf(() =>
      loadSyncConfig({
        ...complete,
        DATABASE_URL: "mysql://me:hunter2@db/x",
        ZEPHR_BASE_URL: "ftp://user:pa55@acme.test/?a=1",
      }),
    );
    expect(problems).toEqual([
      "DATABASE_URL must start with postgres:// or postgresql://",
      "ZEPHR_BASE_URL must be an https:// (or, for a local simulator, http://) URL",
      "ZEPHR_BASE_URL must not contain credentials, a query or a fragment",
    ]);
  });

  test("problems come in the order of the README's table", () => {
    const problems = problemsOf(() => loadScheduleConfig({ LOG_LEVEL: "loud", SYNC_SCHEDULE: "x" }));
    const names = problems.map((problem) => /^[A-Z_]+/.exec(problem)?.[0] ?? "");
    expect(names).toEqual([
      "DATABASE_URL",
      "ZEPHR_BASE_URL",
      "ZEPHR_ACCESS_KEY",
      "ZEPHR_SECRET_KEY",
      "SYNC_SCHEDULE",
      "LOG_LEVEL",
    ]);
  });
});
