import type { DatabaseConfig } from "../config.js";
import { createPool, type Pool } from "../db/pool.js";
import { migrateDatabase, type MigrationOutcome } from "../db/migrate.js";
import type { Logger } from "../logger.js";
import { toDatabaseError } from "../sync/database-errors.js";

/** The process's pool; idle-client errors are logged instead of crashing the process. */
export function openPool(config: DatabaseConfig, logger: Logger): Pool {
  return createPool(
    { databaseUrl: config.databaseUrl, statementTimeoutMs: config.statementTimeoutMs },
    (error) => {
      logger.warn({ err: error.message }, "an idle database connection failed; it will be replaced");
    },
  );
}

/** Applies pending migrations on a client of the pool. */
export async function applyMigrations(pool: Pool): Promise<MigrationOutcome> {
  let client;
  try {
    client = await pool.connect();
  } catch (error) {
    throw toDatabaseError(error, "connecting to apply migrations");
  }
  try {
    return await migrateDatabase(client);
  } catch (error) {
    throw toDatabaseError(error, "applying migrations");
  } finally {
    client.release();
  }
}
