import { SyncError } from "../errors.js";
import type { Logger } from "../logger.js";

export type ShutdownSignal = "SIGTERM" | "SIGINT";

/** Where signals come from and how the process exits: `process`, or a stand-in in tests. */
export interface SignalHost {
  on(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  off(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  exit(code: number): void;
}

export interface ShutdownSignalOptions {
  readonly logger: Logger;
  /** After the first signal, how long the command may take to stop cleanly before the process exits (ms). */
  readonly timeoutMs: number;
  /** Exit code when that time runs out with work still going. */
  readonly timeoutExitCode: number;
  /** Default: the real process. */
  readonly host?: SignalHost;
  /**
   * A signal this soon after the first (ms) is the same one delivered twice, not a second: under `npx`
   * or `npm run`, one Ctrl-C reaches the product both from the terminal and forwarded by npm, a few ms
   * apart. Default 1000.
   */
  readonly repeatGraceMs?: number;
  /** Clock for the grace period (ms); default performance.now. */
  readonly now?: () => number;
}

/** See ShutdownSignalOptions.repeatGraceMs. */
export const defaultRepeatGraceMs = 1000;

export interface ShutdownSignals {
  /** Aborted by the first SIGTERM/SIGINT; pass it as runSync's deps.signal. Its reason is a CANCELLED SyncError. */
  readonly signal: AbortSignal;
  /** Resolves with the first signal received (never rejects; stays pending if none comes). */
  readonly received: Promise<ShutdownSignal>;
  /**
   * Clears the shutdown timer and stops listening: call when the command ends. Idempotent. Once a signal
   * was received, the listener stays for the moments the process takes to exit, so that the same signal
   * delivered twice (npx) cannot arrive with no listener and kill the process by its default action.
   */
  dispose(): void;
}

/** 128 + the signal number: what a shell reports for a process killed by it. */
const signalExitCodes: Record<ShutdownSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Graceful shutdown for `run` and `schedule`. The first SIGTERM or SIGINT aborts `signal` (the run stops at
 * its next await: the current batch commits or rolls back, the run row is marked, the lock released) and
 * starts a timer of `timeoutMs`: if the command has not finished by then, the process exits with
 * `timeoutExitCode`. A second signal exits at once with 128 + its number (130 for SIGINT, 143 for SIGTERM),
 * unless it came within `repeatGraceMs` of the first: then it is the first delivered twice, and ignored.
 */
export function listenForShutdownSignals(options: ShutdownSignalOptions): ShutdownSignals {
  const host: SignalHost = options.host ?? process;
  const { logger } = options;
  const now = options.now ?? (() => performance.now());
  const repeatGraceMs = options.repeatGraceMs ?? defaultRepeatGraceMs;
  const controller = new AbortController();
  let first: ShutdownSignal | undefined;
  let firstAtMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveReceived: (signal: ShutdownSignal) => void = () => undefined;
  const received = new Promise<ShutdownSignal>((resolve) => {
    resolveReceived = resolve;
  });

  const onSignal = (signal: ShutdownSignal): void => {
    if (first !== undefined) {
      const afterMs = now() - firstAtMs;
      if (afterMs < repeatGraceMs) {
        logger.info(
          { signal, afterMs: Math.round(afterMs), graceMs: repeatGraceMs },
          `received ${signal} again within ${repeatGraceMs}ms of the first: the same signal delivered twice (as npx does), not a request to exit at once; still stopping the run`,
        );
        return;
      }
      logger.warn({ signal }, `received ${signal} again: exiting now without waiting for the run to stop`);
      host.exit(signalExitCodes[signal]);
      return;
    }
    first = signal;
    firstAtMs = now();
    logger.warn(
      { signal, timeoutMs: options.timeoutMs },
      `received ${signal}: stopping the current run, then exiting (send it again, a second or more from now, to exit at once)`,
    );
    controller.abort(
      new SyncError(
        "CANCELLED",
        `Stopped by ${signal} before the run finished; the watermark is unchanged and the next run picks up from it.`,
      ),
    );
    // unref: the timer must not keep alive a process that has otherwise finished.
    timer = setTimeout(() => {
      logger.error(
        { signal, timeoutMs: options.timeoutMs },
        "the run did not stop within SHUTDOWN_TIMEOUT; exiting anyway (the next run marks it abandoned)",
      );
      host.exit(options.timeoutExitCode);
    }, options.timeoutMs);
    timer.unref();
    resolveReceived(signal);
  };

  host.on("SIGTERM", onSignal);
  host.on("SIGINT", onSignal);
  let disposed = false;
  return {
    signal: controller.signal,
    received,
    dispose() {
      if (disposed) return;
      disposed = true;
      clearTimeout(timer);
      if (first !== undefined) return;
      host.off("SIGTERM", onSignal);
      host.off("SIGINT", onSignal);
    },
  };
}
