import { loadDatabaseConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { exitCodes, writeLine, type CommandContext, type ExitCode } from "./command-context.js";
import { applyMigrations, openPool } from "./open-database.js";

/** `zephr-sync migrate`: applies pending migrations and says which. */
export async function migrateCommand(context: CommandContext): Promise<ExitCode> {
  const config = loadDatabaseConfig(context.env);
  const logger = createLogger(config.logLevel, context.stderr);
  const pool = openPool(config, logger);
  try {
    const { applied } = await applyMigrations(pool, config, logger);
    writeLine(
      context.stdout,
      applied.length === 0
        ? "Schema zephr is up to date."
        : `Applied ${applied.length} migration(s): ${applied.join(", ")}`,
    );
    return exitCodes.ok;
  } finally {
    await pool.end();
  }
}
