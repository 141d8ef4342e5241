import pRetry from "p-retry";
import { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
}

function isRetryable(error: unknown): error is SyncError {
  return error instanceof SyncError && error.transient && error.code.startsWith("ZEPHR_");
}

/**
 * Runs `attempt` again after transient Zephr failures (network, timeout, 429, 5xx), with the export's
 * backoff settings (ZEPHR_RETRIES, ZEPHR_RETRY_MIN/MAX) and jitter, honouring Retry-After up to
 * ZEPHR_MAX_RETRY_AFTER. Anything else fails at once. `attempt` must be safe to repeat from its start.
 * The error that outlasts the retries says so: its message ends with how many attempts were made (the
 * messages of the attempts themselves never promise a retry, since any of them may be the last).
 */
export async function retryTransient<T>(
  zephr: ZephrConfig,
  deps: RetryDeps,
  attempt: () => Promise<T>,
  onRetry: (error: SyncError, attemptNumber: number, delayMs: number) => void,
): Promise<T> {
  let attempts = 0;
  try {
    return await pRetry(
      () => {
        attempts += 1;
        return attempt();
      },
      {
        retries: zephr.retries,
        minTimeout: zephr.retryMinMs,
        maxTimeout: zephr.retryMaxMs,
        factor: 2,
        randomize: true,
        ...(deps.signal ? { signal: deps.signal } : {}),
        shouldRetry: ({ error }) => isRetryable(error),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retryDelay }) => {
          if (!isRetryable(error) || retriesLeft === 0) return;
          const extraMs = Math.min(error.retryAfterMs ?? 0, zephr.maxRetryAfterMs);
          onRetry(error, attemptNumber, retryDelay + extraMs);
          if (extraMs > 0) await deps.sleep(extraMs);
        },
      },
    );
  } catch (error) {
    if (!isRetryable(error) || deps.signal?.aborted === true) throw error;
    throw new SyncError(
      error.code,
      `${error.message} Gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} (ZEPHR_RETRIES=${zephr.retries}).`,
      {
        cause: error,
        transient: error.transient,
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
      },
    );
  }
}
