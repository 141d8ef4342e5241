import type { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";
import { finalRetryError, planRetry, throwIfAborted, waitToRetry, type RetryDeps } from "./retry-policy.js";

export type { RetryDeps } from "./retry-policy.js";

/**
 * Runs `attempt` again after transient Zephr failures, as planRetry says (ZEPHR_RETRIES, backoff with
 * jitter, Retry-After). Anything else fails at once. `attempt` must be safe to repeat from its start. The
 * export's own page loop follows the same policy (readExportPages), which an async iteration needs
 * inline.
 */
export async function retryTransient<T>(
  zephr: ZephrConfig,
  deps: RetryDeps,
  attempt: () => Promise<T>,
  onRetry: (error: SyncError, attemptNumber: number, delayMs: number) => void,
): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      throwIfAborted(deps);
      const wait = planRetry(zephr, error, attempts);
      if (wait === undefined) throw finalRetryError(zephr, error, attempts, deps);
      onRetry(wait.error, attempts, wait.backoffMs + wait.retryAfterMs);
      await waitToRetry(wait, deps);
    }
  }
}
