import pRetry from "p-retry";
import { SyncError } from "../errors.js";
import type { ZephrConfig } from "../config.js";

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `attempt` again after transient Zephr failures (network, timeout, 429, 5xx), with the export's
 * backoff settings (ZEPHR_RETRIES, ZEPHR_RETRY_MIN/MAX) and jitter, honouring Retry-After up to
 * ZEPHR_MAX_RETRY_AFTER. Anything else fails at once. `attempt` must be safe to repeat from its start.
 */
export function retryTransient<T>(
  zephr: ZephrConfig,
  deps: RetryDeps,
  attempt: () => Promise<T>,
  onRetry: (error: SyncError, attemptNumber: number, delayMs: number) => void,
): Promise<T> {
  return pRetry(attempt, {
    retries: zephr.retries,
    minTimeout: zephr.retryMinMs,
    maxTimeout: zephr.retryMaxMs,
    factor: 2,
    randomize: true,
    ...(deps.signal ? { signal: deps.signal } : {}),
    shouldRetry: ({ error }) =>
      error instanceof SyncError && error.transient && error.code.startsWith("ZEPHR_"),
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retryDelay }) => {
      if (!(error instanceof SyncError) || !error.transient || retriesLeft === 0) return;
      const extraMs = Math.min(error.retryAfterMs ?? 0, zephr.maxRetryAfterMs);
      onRetry(error, attemptNumber, retryDelay + extraMs);
      if (extraMs > 0) await deps.sleep(extraMs);
    },
  });
}
