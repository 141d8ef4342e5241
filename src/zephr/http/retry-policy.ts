import { setTimeout as delay } from "node:timers/promises";
import { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";

export interface RetryDeps {
  /** Waits a Retry-After Zephr asked for (injectable: tests record it instead of waiting). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
}

/** Another attempt after `error`: first the backoff, then whatever Retry-After Zephr asked for. */
export interface RetryWait {
  readonly error: SyncError;
  readonly backoffMs: number;
  readonly retryAfterMs: number;
}

/** Transient failures of a Zephr request (network, timeout, 429, 5xx): worth another attempt. */
function isRetryable(error: unknown): error is SyncError {
  return error instanceof SyncError && error.transient && error.code.startsWith("ZEPHR_");
}

/**
 * The wait before another attempt after `attempts` attempts failed, the last with `error`; undefined when
 * there is to be none (not transient, or ZEPHR_RETRIES used up). The backoff doubles from ZEPHR_RETRY_MIN
 * up to ZEPHR_RETRY_MAX, with jitter (× 1–2, as p-retry randomizes); a Retry-After is honoured on top,
 * up to ZEPHR_MAX_RETRY_AFTER.
 */
export function planRetry(
  zephr: ZephrConfig,
  error: unknown,
  attempts: number,
  random: () => number = Math.random,
): RetryWait | undefined {
  if (!isRetryable(error) || attempts > zephr.retries) return undefined;
  const backoffMs = Math.min(
    zephr.retryMaxMs,
    Math.round((1 + random()) * zephr.retryMinMs * 2 ** (attempts - 1)),
  );
  return { error, backoffMs, retryAfterMs: Math.min(error.retryAfterMs ?? 0, zephr.maxRetryAfterMs) };
}

/** Waits as planned; `signal` cuts the backoff short (the run was cancelled). */
export async function waitToRetry(wait: RetryWait, deps: RetryDeps): Promise<void> {
  if (wait.backoffMs > 0) await delay(wait.backoffMs, undefined, deps.signal ? { signal: deps.signal } : {});
  if (wait.retryAfterMs > 0) await deps.sleep(wait.retryAfterMs);
}

/** Once the run's signal aborted, no attempt follows: its reason ends the attempts (as p-retry does). */
export function throwIfAborted(deps: RetryDeps): void {
  deps.signal?.throwIfAborted();
}

/**
 * The error that ends the attempts. One that outlasted the retries says so, with how many attempts were
 * made: the messages of the attempts themselves never promise a retry, since any of them may be the last.
 */
export function finalRetryError(
  zephr: ZephrConfig,
  error: unknown,
  attempts: number,
  deps: RetryDeps,
): unknown {
  if (!isRetryable(error) || deps.signal?.aborted === true) return error;
  return new SyncError(
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
