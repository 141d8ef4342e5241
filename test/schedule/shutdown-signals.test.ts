import { EventEmitter } from "node:events";
import { SyncError } from "../../src/errors.js";
import {
  listenForShutdownSignals,
  type ShutdownSignal,
  type SignalHost,
} from "../../src/commands/shutdown-signals.js";
import { captureLogger } from "./capture-logger.js";

/** Stands in for `process`: signals are emitted by the test, exits are recorded. */
class FakeProcess extends EventEmitter implements SignalHost {
  readonly exits: number[] = [];
  #exited: (code: number) => void = () => undefined;
  readonly exited = new Promise<number>((resolve) => {
    this.#exited = resolve;
  });
  exit(code: number): void {
    this.exits.push(code);
    this.#exited(code);
  }
  send(signal: ShutdownSignal): void {
    this.emit(signal, signal);
  }
}

describe("shutdown on SIGTERM and SIGINT", () => {
  test("the first signal aborts with a CANCELLED reason and resolves `received`, without exiting", async () => {
    const host = new FakeProcess();
    const log = captureLogger();
    const shutdown = listenForShutdownSignals({
      logger: log.logger,
      timeoutMs: 60_000,
      timeoutExitCode: 1,
      host,
    });
    host.send("SIGTERM");
    expect(shutdown.signal.aborted).toBe(true);
    expect(shutdown.signal.reason).toBeInstanceOf(SyncError);
    expect((shutdown.signal.reason as SyncError).code).toBe("CANCELLED");
    await expect(shutdown.received).resolves.toBe("SIGTERM");
    expect(host.exits).toEqual([]);
    expect(log.lines()[0]).toMatchObject({ signal: "SIGTERM", timeoutMs: 60_000 });
    shutdown.dispose();
  });

  test("a second signal exits at once with 128 + its number", () => {
    const host = new FakeProcess();
    const shutdown = listenForShutdownSignals({
      logger: captureLogger().logger,
      timeoutMs: 60_000,
      timeoutExitCode: 1,
      host,
    });
    host.send("SIGTERM");
    host.send("SIGINT");
    host.send("SIGTERM");
    expect(host.exits).toEqual([130, 143]);
    shutdown.dispose();
  });

  test("when the command has not finished within the timeout, the process exits with the given code", async () => {
    const host = new FakeProcess();
    const log = captureLogger();
    const shutdown = listenForShutdownSignals({ logger: log.logger, timeoutMs: 1, timeoutExitCode: 1, host });
    host.send("SIGINT");
    await expect(host.exited).resolves.toBe(1);
    expect(log.lines().at(-1)?.msg).toMatch(/did not stop within SHUTDOWN_TIMEOUT/);
    shutdown.dispose();
  });

  test("after dispose, signals are no longer handled and the timer is cleared", () => {
    const host = new FakeProcess();
    const shutdown = listenForShutdownSignals({
      logger: captureLogger().logger,
      timeoutMs: 60_000,
      timeoutExitCode: 1,
      host,
    });
    shutdown.dispose();
    expect(host.listenerCount("SIGTERM")).toBe(0);
    expect(host.listenerCount("SIGINT")).toBe(0);
    host.send("SIGTERM");
    expect(shutdown.signal.aborted).toBe(false);
  });
});
