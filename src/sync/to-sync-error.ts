import { SyncError, describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import { isDatabaseFailure, toDatabaseError } from "../db/database-errors.js";

/**
 * The one place where anything caught becomes a SyncError: a SyncError stays as it is, a database
 * failure becomes DB_ERROR or DB_UNAVAILABLE (toDatabaseError, saying what was being done), and
 * anything else is a bug in zephr-sync: INTERNAL, with its stack logged here so that it can be reported.
 */
export function toSyncError(error: unknown, doing: string, logger: Logger): SyncError {
  if (error instanceof SyncError) return error;
  if (isDatabaseFailure(error)) return toDatabaseError(error, doing);
  logger.error(
    {
      code: "INTERNAL",
      doing,
      err: describeError(error),
      stack: error instanceof Error ? error.stack : undefined,
    },
    "unexpected error: a bug in zephr-sync; please report it with this stack",
  );
  return new SyncError(
    "INTERNAL",
    `Unexpected error while ${doing}: ${describeError(error)}. This is a bug in zephr-sync, not in Zephr or the database: please report it with the stack from the log.`,
    { cause: error },
  );
}
