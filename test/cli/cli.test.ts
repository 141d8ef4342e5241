import pg from "pg";
import { runLockKey } from "../../src/db/run-lock.js";
import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { resetWarehouse } from "../support/reset-warehouse.js";
import { fixtureEnv, testKeys } from "../support/sync-fixture.js";
import { runCli, type CliResult } from "../support/cli-process.js";

const databasePassword = "db-password-never-printed";

const cliRole = "zephr_sync_cli_test";

const secrets = [testKeys.secretKey, "wrong-secret-also-never-printed", databasePassword];

/**
 * The CLI connects as a role of its own whose password we know, so we can check that it never leaks
 * (whether the server checks passwords, as the embedded one does, or trusts, as CI's does).
 */
async function withPasswordRole(db: TestDatabase): Promise<string> {
  await db.pool.query(
    `do $$ begin
       if not exists (select from pg_roles where rolname = '${cliRole}') then create role ${cliRole} login superuser; end if;
     end $$`,
  );
  await db.pool.query(`alter role ${cliRole} password '${databasePassword}'`);
  const url = new URL(db.databaseUrl);
  url.username = cliRole;
  url.password = databasePassword;
  return url.toString();
}

describe("the zephr-sync command line, as a spawned process", () => {
  let db: TestDatabase;
  let simulator: ZephrSimulator;
  let env: Record<string, string>;
  const outputs: CliResult[] = [];

  async function cli(
    args: string[],
    extraEnv: Record<string, string> = {},
    useEnv = true,
  ): Promise<CliResult> {
    const result = await runCli(args, useEnv ? { ...env, ...extraEnv } : extraEnv);
    outputs.push(result);
    return result;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    simulator = await startZephrSimulator({ ...testKeys, users: { count: 150, seed: 21 } });
    env = fixtureEnv(await withPasswordRole(db), simulator.url, { LOG_LEVEL: "info" });
  });

  // Every test starts on an empty warehouse, and what its commands printed is scanned for secrets.
  beforeEach(async () => {
    await resetWarehouse(db.pool);
  });

  afterEach(() => {
    const captured = outputs
      .splice(0)
      .map((o) => o.stdout + o.stderr)
      .join("\n");
    for (const secret of secrets) expect(captured).not.toContain(secret);
  });

  afterAll(async () => {
    await simulator.close();
    await db.drop();
  });

  /** A first run that succeeded: a watermark and a last success to report. */
  async function syncOnce(): Promise<void> {
    expect((await cli(["run"])).code).toBe(0);
  }

  test("--help documents the commands and exit codes and exits 0", async () => {
    const result = await cli(["--help"], {}, false);
    expect(result.code).toBe(0);
    for (const text of [
      "run",
      "status",
      "migrate",
      "--json",
      "Exit codes",
      "3  another run holds the lock",
      "SYNC_LOOKBACK",
    ]) {
      expect(result.stdout).toContain(text);
    }
  });

  test("no command prints the help on stderr and exits 2", async () => {
    const result = await cli([], {}, false);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage:");
  });

  test("an unknown command or flag exits 2 and says so", async () => {
    expect((await cli(["frobnicate"], {}, false)).code).toBe(2);
    const flag = await cli(["run", "--colour"], {}, false);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--colour/);
  });

  test("an unknown flag is said in our words, with the nearest flag and the command it goes with", async () => {
    const result = await cli(["run", "--dryrun"], {}, false);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "zephr-sync: unknown option --dryrun for 'run'; did you mean --dry-run? It goes with 'backfill' and 'load', not 'run'. See 'zephr-sync run --help'.\n",
    );
    const typo = await cli(["backfill", "--ful"], {}, false);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /unknown option --ful for 'backfill'; did you mean --full\? See 'zephr-sync backfill --help'/,
    );
    expect(typo.stderr + result.stderr).not.toMatch(/positional|ERR_PARSE_ARGS/);
    const missing = await cli(["status", "--runs"], {}, false);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--runs needs a value\. See 'zephr-sync status --help'/);
    const elsewhere = await cli(["run", "--json"], {}, false);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/'run' does not take --json; it goes with 'status'/);
  });

  test.each([
    [["run", "--help"], "zephr-sync run", "SYNC_LOOKBACK"],
    [["backfill", "--help"], "zephr-sync backfill --since INSTANT", "--registered-since INSTANT  walk"],
    [["help", "status"], "zephr-sync status [--json]", "--max-age DURATION"],
    [["migrate", "-h"], "zephr-sync migrate", "docs/database-privileges.md"],
    [["schedule", "--help"], "zephr-sync schedule", "METRICS_HOST"],
  ])("%j prints that command's own help and exits 0", async (args, usage, detail) => {
    const result = await cli(args, {}, false);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage:\n  ${usage}`);
    expect(result.stdout).toContain(detail);
    // Not the global help: no other command's usage, no table of variables.
    expect(result.stdout).not.toMatch(/^Environment:/m);
    for (const other of ["run", "backfill", "status", "migrate", "schedule"].filter(
      (c) => c !== args.find((a) => !a.startsWith("-") && a !== "help"),
    )) {
      expect(result.stdout).not.toContain(`\n  zephr-sync ${other}`);
    }
  });

  test("status --max-age on a warehouse where no run ever succeeded says just that", async () => {
    const other = await createTestDatabase();
    try {
      const result = await cli(["status", "--max-age", "26h"], { DATABASE_URL: other.databaseUrl });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /the warehouse is stale \(--max-age 26h\): no incremental or full run has succeeded on this database yet\. Run 'zephr-sync run'/,
      );
      expect(result.stderr).not.toMatch(/never happened|longer ago/);
    } finally {
      await other.drop();
    }
  });

  test("run without configuration exits 2 naming every missing variable", async () => {
    const result = await cli(["run"], {}, false);
    expect(result.code).toBe(2);
    for (const name of ["DATABASE_URL", "ZEPHR_BASE_URL", "ZEPHR_ACCESS_KEY", "ZEPHR_SECRET_KEY"]) {
      expect(result.stderr).toContain(name);
    }
  });

  test("a malformed variable exits 2 naming it", async () => {
    const result = await cli(["run"], { SYNC_LOOKBACK: "an hour" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/SYNC_LOOKBACK="an hour" must be a duration/);
  });

  test("status before any migration explains what to do", async () => {
    const other = await createTestDatabase();
    try {
      await other.pool.query("drop schema zephr cascade");
      const result = await cli(["status"], { DATABASE_URL: other.databaseUrl });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/zephr-sync migrate/);
    } finally {
      await other.drop();
    }
  });

  test("migrate is idempotent", async () => {
    const result = await cli(["migrate"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/up to date/);
  });

  test("run exits 0 after a full first sync, and status --json reports it", async () => {
    const run = await cli(["run"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Run \d+ \(full, full export\) succeeded: 3 page\(s\), 150 users received/);
    const logLines = run.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logLines.some((line) => line.msg === "run succeeded")).toBe(true);

    const status = await cli(["status", "--json"]);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as {
      watermark: string | null;
      runs: { status: string; startedAt: string; finishedAt: string; usersWritten: number; pages: number }[];
      tables: { users: number };
    };
    expect(parsed.watermark).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(parsed.runs[0]).toMatchObject({ status: "succeeded", usersWritten: 150, pages: 3 });
    expect(parsed.tables.users).toBe(150);

    const human = await cli(["status"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Watermark: +\d{4}-/);
    expect(human.stdout).toMatch(/150 users/);
  });

  test("a second run is incremental and exits 0", async () => {
    await syncOnce();
    const run = await cli(["run"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\(incremental, since \d{4}-/);
  });

  test("status --max-age exits 0 while the last success is recent and 1 once it is older", async () => {
    await syncOnce();
    expect((await cli(["status", "--max-age", "26h"])).code).toBe(0);
    const stale = await cli(["status", "--json", "--max-age", "1ms"]);
    expect(stale.code).toBe(1);
    expect((JSON.parse(stale.stdout) as { stale: boolean }).stale).toBe(true);
    expect(stale.stderr).toMatch(
      /the warehouse is stale: the last successful run finished at \d{4}-\S+Z, \S+ ago, longer ago than --max-age 1ms\./,
    );
    expect((await cli(["status", "--max-age", "soon"])).code).toBe(2);
  });

  test("backfill with a bad combination of flags exits 2 before touching anything", async () => {
    const result = await cli(["backfill", "--full", "--since", "2024-01-01"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exactly one of/);
  });

  test("backfill --full --dry-run reports and writes nothing; backfill --full reconciles", async () => {
    await syncOnce();
    const dry = await cli(["backfill", "--full", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /^Dry run: .*150 unchanged.*0 users would be marked deleted\. Nothing was written\./,
    );
    const full = await cli(["backfill", "--full"]);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/\(full, full export\) succeeded: .* 0 users marked deleted\./);
  });

  test("run exits 3 while another run holds the lock", async () => {
    const holder = new pg.Client({ connectionString: db.databaseUrl });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock($1::bigint)", [runLockKey]);
      const result = await cli(["run"]);
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/Another zephr-sync run holds the lock/);
    } finally {
      await holder.end();
    }
  });

  test("run exits 1 when Zephr refuses the credentials, saying what to check", async () => {
    const result = await cli(["run"], { ZEPHR_SECRET_KEY: "wrong-secret-also-never-printed" });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed \[ZEPHR_AUTH\].*ZEPHR_ACCESS_KEY \/ ZEPHR_SECRET_KEY/);
    expect(result.stdout).toMatch(/watermark is unchanged/);
  });

  test("no secret appears in any output, log line or table", async () => {
    // A success and a refusal leave run rows behind; afterEach scans every test's output as well.
    await syncOnce();
    expect((await cli(["run"], { ZEPHR_SECRET_KEY: "wrong-secret-also-never-printed" })).code).toBe(1);
    const captured = outputs.map((o) => o.stdout + o.stderr).join("\n");
    const tables = await db.pool.query<{ dump: string }>(
      `select (select coalesce(string_agg(t::text, ','), '') from zephr.sync_runs t)
           || (select coalesce(string_agg(t::text, ','), '') from zephr.sync_rejects t) as dump`,
    );
    for (const secret of secrets) {
      expect(captured).not.toContain(secret);
      expect(tables.rows[0]?.dump).not.toContain(secret);
    }
    expect(outputs).toHaveLength(2);
  });
});
