import pRetry from "p-retry";
import type { Logger } from "../logger.js";
import { isDatabaseFailure, isTransientDatabaseError, toDatabaseError } from "./database-errors.js";

export interface DatabaseRetries {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** First wait (ms); doubles, with jitter. */
  readonly retryMinMs: number;
  readonly logger: Logger;
}

/** How the job retries its own statements: a few times, quickly (the connection is usually just replaced). */
export const jobRetries = { retries: 3, retryMinMs: 200 } as const;

/**
 * Runs `fn` (which must be safe to repeat: one transaction, or one statement) again after a transient
 * database failure: a serialization failure, a deadlock, a connection that dropped. A database failure
 * that outlasts the retries becomes a SyncError that says what was being done; anything else is a bug
 * and is thrown as it is (reported as INTERNAL where the run fails).
 */
export async function withDatabaseRetries<T>(
  retries: DatabaseRetries,
  doing: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await pRetry(fn, {
      retries: retries.retries,
      minTimeout: retries.retryMinMs,
      randomize: true,
      shouldRetry: ({ error }) => isTransientDatabaseError(error),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0 && isTransientDatabaseError(error)) {
          retries.logger.warn({ attempt: attemptNumber, err: error.message }, `${doing} failed; retrying`);
        }
      },
    });
  } catch (error) {
    throw isDatabaseFailure(error) ? toDatabaseError(error, doing) : error;
  }
}
