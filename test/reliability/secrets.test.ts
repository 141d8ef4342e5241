import { Writable } from "node:stream";
import pg from "pg";
import { loadSyncConfig } from "../../src/config.js";
import { createPool } from "../../src/db/pool.js";
import { findFreePort } from "../../tools/embedded-postgres/find-free-port.js";
import { createLogger } from "../../src/logger.js";
import { runSync } from "../../src/sync/run/run-sync.js";
import {
  findSecretLeaks,
  knownSecrets,
  readFlushedCaptures,
  reliabilityDatabasePassword,
  type Capture,
} from "../support/captured-output.js";
import { startCliFixture, type CliFixture } from "../support/cli-fixture.js";
import { waitFor } from "../support/wait-for.js";
import { fixtureEnv } from "../support/sync-fixture.js";

/**
 * Secrets (the Zephr secret key, the database password) never appear in output, logs, errors, status,
 * metrics or tables. This file runs a representative set of commands and failures itself (as a role
 * whose password is known), logs a run in-process at trace level, dumps every table of schema zephr,
 * and scans all of it, together with everything the other reliability test files captured and flushed
 * before it ran.
 */

/** A second secret key, refused by the simulator: it must not leak from the failure either. */
const wrongSecret = "wrong-secret-key-also-never-printed";
const secrets = [...knownSecrets, wrongSecret];

function errorText(error: unknown, depth = 0): string {
  if (depth > 5 || typeof error !== "object" || error === null) return String(error);
  const fields = Object.getOwnPropertyNames(error).map((name) => {
    const value = (error as Record<string, unknown>)[name];
    return `${name}=${name === "cause" ? errorText(value, depth + 1) : String(value)}`;
  });
  return fields.join(" ");
}

describe("secrets never leak", () => {
  let f: CliFixture;
  const captures: Capture[] = [];

  beforeAll(async () => {
    f = await startCliFixture("secrets", { simulator: { users: { count: 60, seed: 121 } } });
  });

  // Each test scans what it captured itself, so that any of them may run alone.
  afterEach(() => {
    expect(findSecretLeaks([...captures.splice(0), ...f.collector.captures.splice(0)], secrets)).toEqual([]);
  });

  afterAll(async () => {
    await f.close();
  });

  test("the scan finds a secret where there is one, in any of its encodings", () => {
    const [secret] = secrets;
    expect(
      findSecretLeaks([
        { label: "plain", text: `key=${secret ?? ""}` },
        { label: "base64", text: Buffer.from(secret ?? "").toString("base64") },
        { label: "clean", text: "nothing here" },
      ]),
    ).toHaveLength(2);
  });

  test("commands, successful and failing, say nothing secret", async () => {
    const closedPort = await findFreePort();
    const runs: [string[], Record<string, string>][] = [
      [["--help"], {}],
      [["migrate"], {}],
      [["run"], {}],
      [["run"], { ZEPHR_SECRET_KEY: wrongSecret }],
      [["run"], { ZEPHR_PAGE_SIZE: "0", SYNC_LOOKBACK: "soon" }],
      [["run"], { ZEPHR_BASE_URL: `http://127.0.0.1:${closedPort}`, ZEPHR_RETRIES: "0" }],
      [
        ["run"],
        {
          DATABASE_URL: `postgres://x:${reliabilityDatabasePassword}@127.0.0.1:${closedPort}/db`,
          DB_CONNECT_RETRIES: "0",
        },
      ],
      [
        ["run"],
        {
          DATABASE_URL: `postgres://x:${reliabilityDatabasePassword}@127.0.0.1:99999999/db`,
          DB_CONNECT_RETRIES: "0",
        },
      ],
      [["status"], { DATABASE_URL: f.role.databaseUrl.replace(/\/[^/]*$/, "/zephr_sync_no_such_db") }],
      [["backfill", "--full", "--dry-run"], { LOG_LEVEL: "trace" }],
      [["backfill", "--since", "2020-01-01"], { LOG_LEVEL: "trace" }],
      [["status"], {}],
      [["status", "--json", "--runs", "50"], {}],
      [["status", "--max-age", "1ms"], {}],
    ];
    for (const [args, env] of runs) {
      const result = await f.cli(args, env);
      expect(result.signal).toBeNull();
    }
    expect(f.collector.captures.length).toBe(runs.length * 2);
  });

  test("the scheduler's logs, /healthz and /metrics say nothing secret", async () => {
    const metricsPort = await findFreePort();
    const schedule = f.start(["schedule"], { METRICS_PORT: String(metricsPort), LOG_LEVEL: "debug" });
    try {
      await waitFor("the scheduler to start", () =>
        schedule.logLines().some((line) => line.msg === "scheduler started"),
      );
      for (const path of ["/healthz", "/metrics"]) {
        const response = await fetch(`http://127.0.0.1:${metricsPort}${path}`);
        captures.push({ label: `schedule ${path}`, text: await response.text() });
      }
      schedule.kill("SIGTERM");
      expect((await schedule.exited).code).toBe(0);
    } finally {
      schedule.kill("SIGKILL");
      await schedule.exited;
    }
    captures.push(
      { label: "schedule (stdout)", text: schedule.stdout() },
      { label: "schedule (stderr)", text: schedule.stderr() },
    );
  });

  test("a run logged in-process at trace level, its outcome and its error say nothing secret", async () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString("utf8"));
        callback();
      },
    });
    const logger = createLogger("trace", sink);
    const config = loadSyncConfig(fixtureEnv(f.role.databaseUrl, f.simulator.url, { LOG_LEVEL: "trace" }));
    const pool = createPool({ databaseUrl: f.role.databaseUrl, schema: config.schema }, () => undefined);
    try {
      const deps = { config, pool, logger, now: Date.now, sleep: () => Promise.resolve() };
      const good = await runSync(deps, { kind: "full" });
      expect(good.status).toBe("succeeded");
      f.simulator.faults.push({ kind: "status", status: 401 });
      const bad = await runSync(deps, { kind: "incremental" });
      expect(bad.status).toBe("failed");
      const wrong = await runSync(
        {
          ...deps,
          config: loadSyncConfig(
            fixtureEnv(f.role.databaseUrl, f.simulator.url, { ZEPHR_SECRET_KEY: wrongSecret }),
          ),
        },
        { kind: "incremental" },
      );
      captures.push(
        { label: "in-process logs", text: chunks.join("") },
        { label: "outcomes", text: JSON.stringify([good, bad, wrong]) },
        {
          label: "errors",
          text: [bad, wrong].map((o) => ("error" in o ? errorText(o.error) : "")).join("\n"),
        },
      );
    } finally {
      await pool.end();
    }
  });

  test("no table of schema zephr holds a secret", async () => {
    // Rows to look at: a run that succeeded and runs refused for a wrong secret key and a bad password.
    expect((await f.cli(["run"])).code).toBe(0);
    expect((await f.cli(["run"], { ZEPHR_SECRET_KEY: wrongSecret })).code).toBe(1);
    f.simulator.faults.push({ kind: "status", status: 401 });
    expect((await f.cli(["run"])).code).toBe(1);
    const tables = await f.db.pool.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'zephr' and c.relkind in ('r', 'v') order by 1`,
    );
    expect(tables.rows.length).toBeGreaterThan(10);
    for (const { name } of tables.rows) {
      const dump = await f.db.pool.query<{ dump: string }>(
        `select coalesce(string_agg(t::text, E'\\n'), '') as dump from zephr.${pg.escapeIdentifier(name)} t`,
      );
      captures.push({ label: `table zephr.${name}`, text: dump.rows[0]?.dump ?? "" });
    }
    const runs = await f.db.pool.query("select count(*)::int as runs from zephr.sync_runs");
    expect(runs.rows[0]).toEqual({ runs: expect.any(Number) as unknown });
  });

  test("nothing the other reliability files captured contains a secret", () => {
    // What they flushed before this file ran (nothing when it runs on its own): each of them scans its
    // own captures too, and the tests above scan this file's.
    expect(findSecretLeaks(readFlushedCaptures(), secrets)).toEqual([]);
  });
});
