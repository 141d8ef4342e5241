import pRetry from "p-retry";
import { redactDatabaseUrl, type DatabaseConfig } from "../config.js";
import { SyncError, describeError, findSqlState, sqlState } from "../errors.js";
import { createPool, type Pool, type PoolClient } from "../db/pool.js";
import { migrateDatabase, type MigrationOutcome } from "../db/migrate.js";
import type { Logger } from "../logger.js";
import { isTransientDatabaseError, toDatabaseError } from "../db/database-errors.js";
import { findSchemaAccess } from "../db/schema-access.js";
import { describeMigrationFailure, isPrivilegeFailure } from "./describe-migration-failure.js";

/** The process's pool; idle-client errors are logged instead of crashing the process. */
export function openPool(config: DatabaseConfig, logger: Logger): Pool {
  return createPool(
    {
      databaseUrl: config.databaseUrl,
      schema: config.schema,
      statementTimeoutMs: config.statementTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
    },
    (error) => {
      logger.warn({ err: error.message }, "an idle database connection failed; it will be replaced");
    },
  );
}

/** First retry after this long (ms); doubles each time, with jitter, up to `connectRetryMaxMs`. */
const connectRetryMinMs = 1000;
const connectRetryMaxMs = 15_000;

/** Network failures the database-error classification does not count as transient mid-run. */
const unreachableCodes = new Set(["EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "ECONNABORTED"]);

/**
 * A failure to connect that may pass: the server down, restarting, refusing, unreachable or not
 * answering. Wrong credentials, a missing database (28P01, 3D000) or a malformed DATABASE_URL will not.
 */
function isRetryableConnectError(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return isTransientDatabaseError(error) || (findSqlState(error) === undefined && unreachableCodes.has(code));
}

/**
 * Takes a client from the pool, retrying DB_CONNECT_RETRIES times with backoff and jitter while the
 * server cannot be reached, then fails with DB_UNAVAILABLE naming the server (password redacted).
 */
export async function connectWithRetries(
  pool: Pool,
  config: DatabaseConfig,
  logger: Logger | undefined,
  doing: string,
): Promise<PoolClient> {
  let attempts = 0;
  try {
    return await pRetry(
      () => {
        attempts += 1;
        return pool.connect();
      },
      {
        retries: config.connectRetries,
        minTimeout: connectRetryMinMs,
        maxTimeout: connectRetryMaxMs,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => isRetryableConnectError(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft, retryDelay }) => {
          if (retriesLeft === 0 || !isRetryableConnectError(error)) return;
          logger?.warn(
            { attempt: attemptNumber, delayMs: retryDelay, err: describeError(error) },
            "PostgreSQL cannot be reached yet; retrying",
          );
        },
      },
    );
  } catch (error) {
    if (findSqlState(error) === sqlState.insufficientPrivilege) {
      const wrapped = toDatabaseError(error, doing);
      throw new SyncError(
        wrapped.code,
        `${wrapped.message} The role in DATABASE_URL may not connect to this database: grant it connect (and temporary), as docs/database-privileges.md shows.`,
        { cause: error },
      );
    }
    if (!isRetryableConnectError(error)) throw toDatabaseError(error, doing);
    throw new SyncError(
      "DB_UNAVAILABLE",
      `Could not connect to PostgreSQL at ${redactDatabaseUrl(config.databaseUrl)} while ${doing}, ` +
        `after ${attempts} attempt(s): ${describeError(error)}. Check DATABASE_URL and that the server is up ` +
        "and reachable from here (DB_CONNECT_RETRIES, DB_CONNECT_TIMEOUT).",
      { cause: error },
    );
  }
}

/** Waits until PostgreSQL answers (see connectWithRetries), for commands that apply no migrations. */
export async function ensureDatabaseReachable(
  pool: Pool,
  config: DatabaseConfig,
  logger?: Logger,
): Promise<void> {
  const client = await connectWithRetries(pool, config, logger, "connecting");
  client.release();
}

/** Applies pending migrations on a client of the pool, once the server answers. */
export async function applyMigrations(
  pool: Pool,
  config: DatabaseConfig,
  logger?: Logger,
): Promise<MigrationOutcome> {
  const client = await connectWithRetries(pool, config, logger, "connecting to apply migrations");
  let failure: unknown;
  try {
    return await migrateDatabase(client, config.schema);
  } catch (error) {
    failure = error;
  } finally {
    client.release();
  }
  // A refused privilege: what this role may do explains it (read on a connection of its own).
  const access = isPrivilegeFailure(failure)
    ? await findSchemaAccess(pool, config.schema).catch(() => undefined)
    : undefined;
  throw describeMigrationFailure(failure, config.schema, access);
}
