import { SyncError, describeError, findSqlState, sqlState } from "../errors.js";

const transientStates = new Set<string>([
  sqlState.serializationFailure,
  sqlState.deadlockDetected,
  sqlState.adminShutdown,
  sqlState.cannotConnectNow,
  sqlState.tooManyConnections,
]);

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/** Serialization failures, deadlocks, and connections that dropped or could not be made. */
export function isTransientDatabaseError(error: unknown): boolean {
  const state = findSqlState(error);
  if (state !== undefined) return transientStates.has(state) || state.startsWith("08");
  const code = errorCode(error);
  if (code !== undefined && connectionCodes.has(code)) return true;
  return (
    /Connection terminated|connection ended|Client has encountered a connection error/i.test(
      describeError(error),
    ) || isConnectTimeout(error)
  );
}

/**
 * Whether an error came from PostgreSQL or the connection to it (a SQLSTATE, a dropped or refused
 * connection, pg's own connection errors), as opposed to a bug in zephr-sync.
 */
export function isDatabaseFailure(error: unknown): boolean {
  if (findSqlState(error) !== undefined || isTransientDatabaseError(error)) return true;
  return /not queryable|Cannot use a pool after calling end/i.test(describeError(error));
}

/** A statement gave up waiting for a lock (lock_timeout). */
export function isLockTimeout(error: unknown): boolean {
  return findSqlState(error) === sqlState.lockNotAvailable;
}

/** pg's own error when opening a connection took longer than its connectionTimeoutMillis. */
function isConnectTimeout(error: unknown): boolean {
  return findSqlState(error) === undefined && describeError(error) === "timeout expired";
}

/** Wraps a database failure in a SyncError that says what was being done, keeping the SQLSTATE visible. */
export function toDatabaseError(error: unknown, doing: string): SyncError {
  if (error instanceof SyncError) return error;
  const state = findSqlState(error);
  const code = errorCode(error);
  if (state === undefined && code !== undefined && connectionCodes.has(code)) {
    return new SyncError(
      "DB_UNAVAILABLE",
      `PostgreSQL could not be reached while ${doing} (${code}): check DATABASE_URL and that the server is up.`,
      { cause: error },
    );
  }
  if (isConnectTimeout(error)) {
    return new SyncError(
      "DB_UNAVAILABLE",
      `PostgreSQL did not answer within DB_CONNECT_TIMEOUT while ${doing}: check DATABASE_URL and that the server is up.`,
      { cause: error, transient: true },
    );
  }
  const hint =
    state === sqlState.diskFull
      ? " The database server is out of disk space."
      : state === sqlState.queryCanceled
        ? " A statement ran past DB_STATEMENT_TIMEOUT or was cancelled."
        : state === sqlState.invalidPassword || state === sqlState.invalidAuthorization
          ? " Check the user and password in DATABASE_URL."
          : "";
  const tag = state === undefined ? "" : ` [SQLSTATE ${state}]`;
  return new SyncError(
    "DB_ERROR",
    `PostgreSQL failed while ${doing}${tag}: ${describeError(error)}.${hint}`,
    {
      cause: error,
      transient: isTransientDatabaseError(error),
    },
  );
}
