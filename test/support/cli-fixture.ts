import { findRun, type RunRow } from "../../src/db/sync-runs.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import {
  startZephrSimulator,
  type SimulatorOptions,
  type ZephrSimulator,
} from "../../tools/simulator/index.js";
import { findSecretLeaks, OutputCollector, reliabilityDatabasePassword } from "./captured-output.js";
import { expectedWarehouse } from "./expected-warehouse.js";
import { createLoginRole, type LoginRole } from "./login-role.js";
import { runCli, startCliProcess, type CliOptions, type CliProcess, type CliResult } from "./cli-process.js";
import { changeSource } from "./source-changes.js";
import { fixtureEnv, testKeys } from "./sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";
import { readWarehouse, type WarehouseSnapshot } from "./warehouse-snapshot.js";

/**
 * The real product end to end: a fresh database, a simulator on the real clock, and the built CLI as a
 * child process connecting as a role whose password is known (so that leaks can be looked for). Every
 * output is kept in `collector`.
 */
export interface CliFixture {
  readonly db: TestDatabase;
  readonly simulator: ZephrSimulator;
  readonly role: LoginRole;
  /** The CLI's environment: fixtureEnv (small pages, fast retries) as the password role, JSON logs. */
  readonly env: Record<string, string>;
  readonly collector: OutputCollector;
  /** Runs `zephr-sync ...args` to completion and records its output. */
  cli(args: readonly string[], extraEnv?: Record<string, string>, options?: CliOptions): Promise<CliResult>;
  /** Starts `zephr-sync ...args` and returns at once (for signals); its output is recorded when it ends. */
  start(args: readonly string[], extraEnv?: Record<string, string>): CliProcess;
  /**
   * For a beforeEach of the fault files: no fault queued, no request recorded, and a night of changes in
   * the source (see changeSource), so that the case's run has something to load.
   */
  prepareCase(): void;
  /**
   * For their afterEach: SIGKILLs the processes `start` began that are still running, waits for them,
   * and fails the case if anything it printed holds a secret.
   */
  endCase(): Promise<void>;
  /** The newest run row. */
  latestRun(): Promise<RunRow | undefined>;
  watermark(): Promise<Date | null>;
  /** The warehouse and what the simulator's users say it must hold. */
  compare(): Promise<{ actual: WarehouseSnapshot; expected: WarehouseSnapshot }>;
  /** Kills what is still running, writes the captures for secrets.test.ts, drops the database. */
  close(): Promise<void>;
}

/**
 * The fixture the fault files share (beforeAll): a CLI fixture whose warehouse one successful `run`
 * has loaded, the state every fault case starts from.
 */
export async function startLoadedCliFixture(
  testFile: string,
  users: { readonly count: number; readonly seed: number },
): Promise<CliFixture> {
  const f = await startCliFixture(testFile, { simulator: { users } });
  const first = await f.cli(["run"]);
  if (first.code !== 0) {
    await f.close();
    throw new Error(`the first run exited ${String(first.code)}:\n${first.stdout}${first.stderr}`);
  }
  return f;
}

export async function startCliFixture(
  testFile: string,
  options: { simulator?: Partial<SimulatorOptions>; env?: Record<string, string> } = {},
): Promise<CliFixture> {
  const db = await createTestDatabase();
  const simulator = await startZephrSimulator({ ...testKeys, ...options.simulator });
  const role = await createLoginRole(db.databaseUrl, reliabilityDatabasePassword);
  const env = fixtureEnv(role.databaseUrl, simulator.url, { LOG_LEVEL: "info", ...options.env });
  const collector = new OutputCollector(testFile);
  const started: CliProcess[] = [];
  let capturesChecked = 0;
  const record = (args: readonly string[], result: { stdout: string; stderr: string }) => {
    collector.add(`zephr-sync ${args.join(" ")} (stdout)`, result.stdout);
    collector.add(`zephr-sync ${args.join(" ")} (stderr)`, result.stderr);
  };
  return {
    db,
    simulator,
    role,
    env,
    collector,
    async cli(args, extraEnv = {}, options) {
      const result = await runCli(args, { ...env, ...extraEnv }, options);
      record(args, result);
      return result;
    },
    start(args, extraEnv = {}) {
      const process = startCliProcess(args, { ...env, ...extraEnv });
      started.push(process);
      void process.exited.then(() => {
        record(args, { stdout: process.stdout(), stderr: process.stderr() });
      });
      return process;
    },
    prepareCase() {
      simulator.faults.clear();
      simulator.requests.length = 0;
      changeSource(simulator.store);
    },
    async endCase() {
      for (const process of started.splice(0)) {
        process.kill("SIGKILL");
        await process.exited;
      }
      const leaks = findSecretLeaks(collector.captures.slice(capturesChecked));
      capturesChecked = collector.captures.length;
      if (leaks.length > 0) throw new Error(`output of this case holds a secret:\n${leaks.join("\n")}`);
    },
    async latestRun() {
      const result = await db.pool.query<{ run_id: string }>(
        "select run_id from zephr.sync_runs order by run_id desc limit 1",
      );
      const id = result.rows[0]?.run_id;
      return id === undefined ? undefined : findRun(db.pool, id);
    },
    watermark: () => findWatermark(db.pool, usersStream),
    async compare() {
      return { actual: await readWarehouse(db.pool), expected: expectedWarehouse(simulator.store) };
    },
    async close() {
      for (const process of started) process.kill("SIGKILL");
      await Promise.all(started.map((process) => process.exited));
      collector.flush();
      await simulator.close();
      await db.drop();
      await role.drop();
    },
  };
}
