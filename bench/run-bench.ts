import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { loadSyncConfig } from "../src/config.js";
import { countTableRows } from "../src/db/table-counts.js";
import { listRecentRuns } from "../src/db/sync-runs.js";
import { findPackageRoot } from "../src/package-root.js";
import { startZephrSimulator, type ZephrSimulator } from "../tools/simulator/index.js";
import { applyIncrementalChanges } from "./apply-incremental-changes.js";
import type { BenchResult, PhaseName, PhaseResult } from "./bench-result.js";
import { describeMachine } from "./describe-machine.js";
import { findFullExportCommand } from "./find-full-export-command.js";
import { formatReport } from "./format-report.js";
import { measureChild, requireSuccess, type ChildMeasurement } from "./measure-child.js";
import { BenchUsageError, benchUsage, parseBenchArgs, type BenchOptions } from "./parse-bench-args.js";
import { readMachineBusySeconds } from "./read-machine-cpu.js";
import { readPostgresCpuSeconds } from "./read-postgres-cpu.js";
import { createScratchDatabase, redact, type ScratchDatabase } from "./scratch-database.js";
import {
  benchApplicationName,
  countLockedUsers,
  countRowsWrittenForOthers,
  readSettledCounters,
  takeTransactionId,
  readWalBytes,
  subtractCounters,
  type TableCounters,
} from "./table-stats.js";
import { writeCopyFiles, type CopyFiles } from "./write-copy-files.js";

/**
 * `npm run bench`: issue 5's benchmark. One process generates the users (built-in simulator, served over
 * HTTP on loopback), then measures, each as a real child process whose wall time and peak RSS are taken
 * from outside: the parse limit, the copy limit, and three `zephr-sync run`s (fresh, unchanged, incremental)
 * into a scratch database it drops afterwards. Prints the report; exits 0 whatever the verdicts, 1 when
 * something broke, 2 on bad usage.
 */

const benchKeys = { accessKey: "bench-access-key", secretKey: "bench-secret-key" } as const;
const distDir = import.meta.dirname;
const cliScript = join(findPackageRoot(), "dist", "src", "cli.js");

function say(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

interface Context {
  readonly options: BenchOptions;
  readonly scratch: ScratchDatabase;
  readonly simulator: ZephrSimulator;
  /** The environment `zephr-sync run` gets (and the parse limit, which reads the same config). */
  readonly syncEnv: Readonly<Record<string, string>>;
  /** One connection of the bench's own to the scratch database. */
  readonly client: pg.PoolClient;
  readonly pool: pg.Pool;
  readonly admin: pg.Client;
  /** Aborted on SIGINT/SIGTERM: the running child is killed and the bench cleans up. */
  readonly signal: AbortSignal;
}

let checkpointRefused = false;

/**
 * Starts every phase from the same state: dirty buffers written out, so that no checkpoint lands
 * mid-phase. Needs superuser or pg_checkpoint; without either the bench says so once and goes on.
 */
async function checkpoint(context: Context): Promise<void> {
  if (checkpointRefused) return;
  try {
    await context.admin.query("checkpoint");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "42501") throw error;
    checkpointRefused = true;
    say("warning: this role may not run CHECKPOINT (grant it pg_checkpoint): phases may include one");
  }
}

/** The environment of one child: the sync's, plus NODE_OPTIONS for the zephr-sync runs when asked. */
function childEnv(context: Context, script: string): Readonly<Record<string, string>> {
  const nodeOptions = context.options.childNodeOptions;
  return script === cliScript && nodeOptions !== undefined
    ? { ...context.syncEnv, NODE_OPTIONS: nodeOptions }
    : context.syncEnv;
}

/** A child's measurement plus what the rest of the machine spent meanwhile. */
interface PhaseRun extends ChildMeasurement {
  readonly simulatorCpuMs: number;
  readonly postgresCpuMs: number;
  readonly otherCpuMs: number;
}

async function runChild(
  context: Context,
  label: string,
  script: string,
  args: readonly string[],
): Promise<PhaseRun> {
  const machineBefore = await readMachineBusySeconds();
  const postgresBefore = await readPostgresCpuSeconds();
  const benchBefore = process.cpuUsage();
  const measured = await measureChild({
    script,
    args,
    env: childEnv(context, script),
    timeoutMs: context.options.phaseTimeoutMs,
    cpuProfileDir: context.options.cpuProfileDir,
    label: `${label}-${context.options.users}`,
    signal: context.signal,
  });
  const bench = process.cpuUsage(benchBefore);
  const postgresCpuMs = ((await readPostgresCpuSeconds()) - postgresBefore) * 1000;
  const machineCpuMs = ((await readMachineBusySeconds()) - machineBefore) * 1000;
  requireSuccess(label, measured);
  const simulatorCpuMs = (bench.user + bench.system) / 1000;
  return {
    ...measured,
    simulatorCpuMs,
    postgresCpuMs,
    otherCpuMs: Math.max(0, machineCpuMs - measured.cpuMs - simulatorCpuMs - postgresCpuMs),
  };
}

function cpuFigures(run: PhaseRun) {
  return {
    peakRssBytes: run.peakRssBytes,
    childCpuMs: run.cpuMs,
    simulatorCpuMs: run.simulatorCpuMs,
    postgresCpuMs: run.postgresCpuMs,
    otherCpuMs: run.otherCpuMs,
  };
}

async function measureParseLimit(context: Context, pageSize: number): Promise<PhaseResult> {
  const pages = Math.ceil(context.options.users / pageSize);
  await checkpoint(context);
  say(`parse limit: ${pages} pages through stream-json only…`);
  const measured = await runChild(context, "parse-limit", join(distDir, "parse-limit.js"), [
    "--pages",
    String(pages),
  ]);
  const output = JSON.parse(measured.stdout) as { bytes: number };
  return {
    name: "parse limit",
    elapsedMs: measured.wallMs,
    childWallMs: measured.wallMs,
    users: context.options.users,
    rows: 0,
    exportBytes: output.bytes,
    ...cpuFigures(measured),
  };
}

async function measureCopyLimit(context: Context, files: CopyFiles): Promise<PhaseResult> {
  await checkpoint(context);
  const walBefore = await readWalBytes(context.client);
  say(`copy limit: COPY ${files.users + files.attributes + files.grants} rows into primary-key-only tables…`);
  const measured = await runChild(context, "copy-limit", join(distDir, "copy-limit.js"), [
    "--dir",
    files.dir,
  ]);
  const walBytes = (await readWalBytes(context.client)) - walBefore;
  const output = JSON.parse(measured.stdout) as {
    elapsedMs: number;
    tables: { name: string; rows: number }[];
  };
  const rows = output.tables.reduce((sum, t) => sum + t.rows, 0);
  // Dropped at once, so that autovacuum of these tables cannot run during the sync phases.
  await context.client.query("drop schema zephr_bench_copy cascade");
  return {
    name: "copy limit",
    elapsedMs: output.elapsedMs,
    childWallMs: measured.wallMs,
    users: output.tables.find((t) => t.name === "users")?.rows ?? 0,
    rows,
    exportBytes: 0, // filled in from the fresh run, whose export it stands for
    ...cpuFigures(measured),
    walBytes,
  };
}

async function readCounters(context: Context): Promise<TableCounters> {
  return readSettledCounters(context.client);
}

/** One `zephr-sync` run; with `changedUserIds`, also checks that it wrote rows of those users only. */
async function measureSyncRun(
  context: Context,
  name: PhaseName,
  args: readonly string[],
  changedUserIds?: readonly string[],
): Promise<PhaseResult> {
  await checkpoint(context);
  const before = await readCounters(context);
  const walBefore = await readWalBytes(context.client);
  const xidBefore = await takeTransactionId(context.client);
  say(`${name}: zephr-sync ${args.join(" ")}…`);
  const measured = await runChild(context, name, cliScript, args);
  const after = await readCounters(context);
  const walBytes = (await readWalBytes(context.client)) - walBefore;
  const xidAfter = await takeTransactionId(context.client);
  const usersRowsLocked = await countLockedUsers(context.client, xidBefore, xidAfter);
  const rowsWrittenForOthers =
    changedUserIds === undefined
      ? undefined
      : await countRowsWrittenForOthers(context.client, xidBefore, xidAfter, changedUserIds);
  const [run] = await listRecentRuns(context.pool, 1);
  if (run?.status !== "succeeded")
    throw new Error(`${name}: zephr-sync exited 0 but recorded no succeeded run`);
  say(`${name}: ${measured.stdout.trim()}`);
  return {
    name,
    elapsedMs: measured.wallMs,
    childWallMs: measured.wallMs,
    users: run.usersReceived,
    rows: run.usersWritten + run.attributesWritten + run.grantsWritten,
    exportBytes: run.bytes,
    ...cpuFigures(measured),
    usersRowsLocked,
    ...(rowsWrittenForOthers === undefined ? {} : { rowsWrittenForOthers }),
    tuples: subtractCounters(after, before),
    walBytes,
    run: {
      runId: run.runId,
      kind: run.kind,
      pages: run.pages,
      usersWritten: run.usersWritten,
      attributesWritten: run.attributesWritten,
      grantsWritten: run.grantsWritten,
      rejected: run.rejected,
    },
  };
}

async function runPhases(context: Context, workDir: string): Promise<BenchResult> {
  const { options } = context;
  const config = loadSyncConfig(context.syncEnv);
  const machine = await describeMachine(context.client);
  const startedAt = new Date().toISOString();

  say(`writing the copy-limit rows of ${options.users} users (untimed)…`);
  const filesStartedAt = performance.now();
  const files = writeCopyFiles(
    context.simulator.store.select({ sinceInclusive: false }),
    workDir,
    config.zephr.grantTimezone,
  );
  const copyFilesMs = performance.now() - filesStartedAt;
  if (files.rejected > 0) throw new Error(`normalizeElement rejected ${files.rejected} generated users`);

  const parse = await measureParseLimit(context, config.zephr.pageSize);
  const copy = await measureCopyLimit(context, files);
  const fresh = await measureSyncRun(context, "fresh", ["run"]);
  if (parse.exportBytes !== fresh.exportBytes) {
    say(`warning: the parse limit read ${parse.exportBytes} bytes, the fresh run ${fresh.exportBytes}`);
  }
  const stored = await countTableRows(context.pool);
  if (
    stored.users !== files.users ||
    stored.userAttributes !== files.attributes ||
    stored.userGrants !== files.grants
  ) {
    say(
      `warning: the warehouse holds ${stored.users}/${stored.userAttributes}/${stored.userGrants} users/attributes/grants, ` +
        `the copy limit loaded ${files.users}/${files.attributes}/${files.grants}`,
    );
  }
  const unchanged = await measureSyncRun(context, "unchanged", await findFullExportCommand(cliScript));

  const { changes, userIds } = applyIncrementalChanges(context.simulator.store, options.changedShare);
  say(
    `changed ${changes.usersChanged} users in the simulator (${changes.grantsAdded} grants added, ${changes.grantsRemoved} removed)`,
  );
  const incremental = await measureSyncRun(context, "incremental", ["run"], userIds);

  return {
    startedAt,
    users: options.users,
    seed: options.seed,
    pageSize: config.zephr.pageSize,
    batchSize: config.batchSize,
    ...(options.childNodeOptions === undefined ? {} : { childNodeOptions: options.childNodeOptions }),
    machine,
    copyFilesMs,
    copyFileBytes: files.bytes,
    duplicateGrants: files.duplicateGrants,
    phases: [parse, { ...copy, exportBytes: fresh.exportBytes }, fresh, unchanged, incremental],
    changes,
  };
}

async function readBaseline(path: string | undefined): Promise<BenchResult | undefined> {
  if (path === undefined) return undefined;
  return JSON.parse(await readFile(path, "utf8")) as BenchResult;
}

async function bench(options: BenchOptions): Promise<void> {
  const baseline = await readBaseline(options.rssBaselinePath);
  if (options.cpuProfileDir !== undefined) await mkdir(options.cpuProfileDir, { recursive: true });
  const workDir = await mkdtemp(join(tmpdir(), "zephr-bench-"));
  let scratch: ScratchDatabase | undefined;
  let simulator: ZephrSimulator | undefined;
  let pool: pg.Pool | undefined;
  let client: pg.PoolClient | undefined;
  let admin: pg.Client | undefined;
  // Ctrl-C must not leave the scratch database, the simulator or a child behind.
  const interrupted = new AbortController();
  const interrupt = (): void => {
    say("interrupted: stopping the running phase and cleaning up…");
    interrupted.abort();
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    scratch = await createScratchDatabase(options.databaseUrl);
    say(`scratch database ${scratch.name} on ${redact(scratch.adminUrl)} (${scratch.origin})`);
    simulator = await startZephrSimulator({
      ...benchKeys,
      users: { count: options.users, seed: options.seed },
    });
    const syncEnv: Record<string, string> = {
      DATABASE_URL: scratch.databaseUrl,
      ZEPHR_BASE_URL: simulator.url,
      ZEPHR_ACCESS_KEY: benchKeys.accessKey,
      ZEPHR_SECRET_KEY: benchKeys.secretKey,
      LOG_LEVEL: "warn",
      ...(options.pageSize === undefined ? {} : { ZEPHR_PAGE_SIZE: String(options.pageSize) }),
      ...(options.batchSize === undefined ? {} : { SYNC_BATCH_SIZE: String(options.batchSize) }),
    };
    pool = new pg.Pool({
      connectionString: scratch.databaseUrl,
      // The run's schema (ZEPHR_SCHEMA's default): the src/db statements name their tables unqualified.
      options: "-c search_path=zephr",
      application_name: benchApplicationName,
      max: 2,
      idleTimeoutMillis: 0,
    });
    client = await pool.connect();
    admin = new pg.Client({ connectionString: scratch.adminUrl, application_name: benchApplicationName });
    await admin.connect();
    const context: Context = {
      options,
      scratch,
      simulator,
      syncEnv,
      client,
      pool,
      admin,
      signal: interrupted.signal,
    };
    const result = await runPhases(context, workDir);
    process.stdout.write(formatReport(result, baseline));
    if (options.jsonPath !== undefined) {
      await writeFile(options.jsonPath, JSON.stringify(result, null, 2) + "\n");
      say(`results written to ${options.jsonPath}`);
    }
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    client?.release();
    await pool?.end();
    await admin?.end();
    await simulator?.close();
    await scratch?.drop();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${benchUsage}`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(benchUsage);
    return 0;
  }
  try {
    await bench(options);
    return 0;
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") {
      process.stderr.write("Bench interrupted; the scratch database was dropped.\n");
      return 1;
    }
    process.stderr.write(
      `Bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

process.exitCode = await main();
