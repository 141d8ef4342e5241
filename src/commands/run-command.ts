import { setTimeout as sleep } from "node:timers/promises";
import { loadSyncConfig, type DatabaseConfig, type SyncConfig } from "../config.js";
import type { Pool } from "../db/pool.js";
import type { Logger } from "../logger.js";
import type { SyncProgressListener } from "../sync/run/sync-progress.js";
import type { SyncErrorCode } from "../errors.js";
import { createLogger } from "../logger.js";
import { runSync, type SyncOutcome, type SyncRequest } from "../sync/run/run-sync.js";
import { exitCodes, writeLine, type CommandContext, type ExitCode } from "./command-context.js";
import { applyMigrations, ensureDatabaseReachable, openPool } from "./open-database.js";
import { describeOutcome } from "./describe-outcome.js";
import { createProgressDisplay } from "./progress-display.js";
import { listenForShutdownSignals } from "./shutdown-signals.js";

/** Failures that say the configuration must change (an unreadable ZEPHR_CA_FILE, another tenant). */
const usageCodes: ReadonlySet<SyncErrorCode> = new Set(["CONFIG_INVALID", "TENANT_MISMATCH"]);

/** Exit code of an outcome, as documented in --help. */
export function exitCodeOf(outcome: SyncOutcome): ExitCode {
  switch (outcome.status) {
    case "locked":
      return exitCodes.locked;
    case "succeeded":
    case "dry-run":
      return exitCodes.ok;
    case "failed":
      // Refused before anything ran: fix the configuration (exit 2, like a ConfigError at start).
      return usageCodes.has(outcome.error.code) ? exitCodes.usage : exitCodes.runFailed;
    case "cancelled":
      return exitCodes.runFailed;
  }
}

/** What a one-shot command hands the job: its pool, logger, clock and the shutdown signal. */
export interface RunFrame {
  readonly pool: Pool;
  readonly logger: Logger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal: AbortSignal;
  readonly onProgress?: SyncProgressListener;
}

/**
 * The frame of a one-shot command that runs the job (`run`, `backfill`, `load`): logging (a progress line
 * on a terminal), the pool, graceful shutdown, migrations (unless a dry run, which writes nothing), one
 * run, a summary line on stdout, its exit code.
 */
export async function runInFrame(
  context: CommandContext,
  config: DatabaseConfig & Pick<SyncConfig, "shutdownTimeoutMs">,
  dryRun: boolean,
  run: (frame: RunFrame) => Promise<SyncOutcome>,
): Promise<ExitCode> {
  const onProgress = createProgressDisplay(context.stderr);
  const quiet = onProgress !== undefined && !config.logLevelSet;
  const logger = createLogger(quiet ? "warn" : config.logLevel, context.stderr);
  const pool = openPool(config, logger);
  // SIGTERM/SIGINT cancel the run (exit 1, see exitCodeOf); one that does not stop within SHUTDOWN_TIMEOUT
  // exits 1 anyway, and a second signal exits at once (130/143).
  const shutdown = listenForShutdownSignals({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    timeoutExitCode: exitCodes.runFailed,
  });
  try {
    // A dry run writes nothing, migrations included; it only waits for the server like the others.
    if (dryRun) await ensureDatabaseReachable(pool, config, logger);
    else await applyMigrations(pool, config, logger);
    const outcome = await run({
      pool,
      logger,
      now: Date.now,
      sleep: (ms) => sleep(ms, undefined, { signal: shutdown.signal }),
      signal: shutdown.signal,
      ...(onProgress ? { onProgress } : {}),
    });
    writeLine(context.stdout, describeOutcome(outcome));
    return exitCodeOf(outcome);
  } finally {
    shutdown.dispose();
    await pool.end();
  }
}

/** `zephr-sync run` (request incremental) and `zephr-sync backfill …`: one sync in the frame. */
export async function syncCommand(context: CommandContext, request: SyncRequest): Promise<ExitCode> {
  const config = loadSyncConfig(context.env);
  const dryRun = "dryRun" in request && request.dryRun;
  return runInFrame(context, config, dryRun, (frame) => runSync({ config, ...frame }, request));
}
