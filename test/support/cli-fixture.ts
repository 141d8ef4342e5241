import { findRun, type RunRow } from "../../src/db/sync-runs.js";
import { findWatermark, usersStream } from "../../src/db/sync-watermarks.js";
import {
  startZephrSimulator,
  type SimulatorOptions,
  type ZephrSimulator,
} from "../../tools/simulator/index.js";
import { OutputCollector, reliabilityDatabasePassword } from "./captured-output.js";
import { expectedWarehouse } from "./expected-warehouse.js";
import { createLoginRole, type LoginRole } from "./login-role.js";
import { startCliProcess, type CliProcess } from "./cli-process.js";
import { runCli, type CliResult } from "./spawn-cli.js";
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
  cli(args: readonly string[], extraEnv?: Record<string, string>, timeoutMs?: number): Promise<CliResult>;
  /** Starts `zephr-sync ...args` and returns at once (for signals); its output is recorded when it ends. */
  start(args: readonly string[], extraEnv?: Record<string, string>): CliProcess;
  /** SIGKILLs the processes `start` began that are still running, and waits for them (afterEach). */
  killStarted(): Promise<void>;
  /** The newest run row. */
  latestRun(): Promise<RunRow | undefined>;
  watermark(): Promise<Date | null>;
  /** The warehouse and what the simulator's users say it must hold. */
  compare(): Promise<{ actual: WarehouseSnapshot; expected: WarehouseSnapshot }>;
  close(): Promise<void>;
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
    async cli(args, extraEnv = {}, timeoutMs) {
      const result = await runCli(args, { ...env, ...extraEnv }, timeoutMs);
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
    async killStarted() {
      for (const process of started.splice(0)) {
        process.kill("SIGKILL");
        await process.exited;
      }
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
      await simulator.close();
      await db.drop();
      await role.drop();
    },
  };
}
