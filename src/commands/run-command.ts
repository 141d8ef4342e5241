import { setTimeout as sleep } from "node:timers/promises";
import { loadSyncConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { runSync, type SyncOutcome } from "../sync/run-sync.js";
import { exitCodes, writeLine, type CommandContext, type ExitCode } from "./command-context.js";
import { applyMigrations, openPool } from "./open-database.js";
import { formatCount } from "./format.js";
import { createProgressDisplay } from "./progress-display.js";

export interface RunCommandOptions {
  readonly full: boolean;
}

/** `zephr-sync run`: migrations, then one incremental (or --full) sync. */
export async function runCommand(context: CommandContext, options: RunCommandOptions): Promise<ExitCode> {
  const config = loadSyncConfig(context.env);
  const onProgress = createProgressDisplay(context.stderr);
  const quiet = onProgress !== undefined && !config.logLevelSet;
  const logger = createLogger(quiet ? "warn" : config.logLevel, context.stderr);
  const pool = openPool(config, logger);
  try {
    await applyMigrations(pool);
    const outcome = await runSync(
      {
        config,
        pool,
        logger,
        now: Date.now,
        sleep: (ms) => sleep(ms),
        ...(onProgress ? { onProgress } : {}),
      },
      { kind: options.full ? "full" : "incremental" },
    );
    writeLine(context.stdout, describeOutcome(outcome));
    if (outcome.status === "locked") return exitCodes.locked;
    return outcome.status === "succeeded" ? exitCodes.ok : exitCodes.runFailed;
  } finally {
    await pool.end();
  }
}

export function describeOutcome(outcome: SyncOutcome): string {
  if (outcome.status === "locked") {
    return "Another zephr-sync run holds the lock on this database; nothing done. Try again when it has finished.";
  }
  const c = outcome.counts;
  const figures =
    `${formatCount(c.pages)} page(s), ${formatCount(c.usersReceived)} users received, ` +
    `${formatCount(c.usersWritten)} users written, ${formatCount(c.attributesWritten)} attribute rows, ` +
    `${formatCount(c.grantsWritten)} grant rows, ${formatCount(c.rejected)} rejected`;
  if (outcome.status === "succeeded") {
    const since = outcome.sinceAt === null ? "full export" : `since ${outcome.sinceAt.toISOString()}`;
    return `Run ${outcome.runId} (${outcome.kind}, ${since}) succeeded: ${figures}. Watermark is now ${outcome.watermarkAt.toISOString()}.`;
  }
  const run = outcome.runId === undefined ? "Run" : `Run ${outcome.runId}`;
  return `${run} failed [${outcome.error.code}]: ${outcome.error.message}\nLoaded before failing: ${figures}. The watermark is unchanged; the next run repairs what this one missed.`;
}
