import { setTimeout as sleep } from "node:timers/promises";
import { loadSyncConfig } from "../config.js";
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

/**
 * `zephr-sync run` (request incremental) and `zephr-sync backfill …`: migrations (unless a dry run,
 * which writes nothing), one sync, a summary line on stdout.
 */
export async function syncCommand(context: CommandContext, request: SyncRequest): Promise<ExitCode> {
  const config = loadSyncConfig(context.env);
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
    const dryRun = "dryRun" in request && request.dryRun;
    // A dry run writes nothing, migrations included; it only waits for the server like the others.
    if (dryRun) await ensureDatabaseReachable(pool, config, logger);
    else await applyMigrations(pool, config, logger);
    const outcome = await runSync(
      {
        config,
        pool,
        logger,
        now: Date.now,
        sleep: (ms) => sleep(ms, undefined, { signal: shutdown.signal }),
        signal: shutdown.signal,
        ...(onProgress ? { onProgress } : {}),
      },
      request,
    );
    writeLine(context.stdout, describeOutcome(outcome));
    return exitCodeOf(outcome);
  } finally {
    shutdown.dispose();
    await pool.end();
  }
}
