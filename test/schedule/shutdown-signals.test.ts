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
    let nowMs = 0;
    const shutdown = listenForShutdownSignals({
      logger: captureLogger().logger,
      timeoutMs: 60_000,
      timeoutExitCode: 1,
      host,
      now: () => nowMs,
    });
    host.send("SIGTERM");
    nowMs = 1000;
    host.send("SIGINT");
    host.send("SIGTERM");
    expect(host.exits).toEqual([130, 143]);
    shutdown.dispose();
  });

  test("one Ctrl-C delivered twice a few ms apart (as under npx) is one signal, not a second", () => {
    const host = new FakeProcess();
    const log = captureLogger();
    let nowMs = 50_000;
    const shutdown = listenForShutdownSignals({
      logger: log.logger,
      timeoutMs: 60_000,
      timeoutExitCode: 1,
      host,
      now: () => nowMs,
    });
    host.send("SIGINT");
    nowMs += 4;
    host.send("SIGINT");
    nowMs += 990;
    host.send("SIGINT");
    expect(host.exits).toEqual([]);
    expect(shutdown.signal.aborted).toBe(true);
    expect(log.lines().map((line) => line.msg)).toEqual([
      "received SIGINT: stopping the current run, then exiting (send it again, a second or more from now, to exit at once)",
      "received SIGINT again within 1000ms of the first: the same signal delivered twice (as npx does), not a request to exit at once; still stopping the run",
      "received SIGINT again within 1000ms of the first: the same signal delivered twice (as npx does), not a request to exit at once; still stopping the run",
    ]);
    expect(log.lines()[1]).toMatchObject({ afterMs: 4, graceMs: 1000 });
    // Once the grace period has passed, a signal is a second one.
    nowMs += 6;
    host.send("SIGINT");
    expect(host.exits).toEqual([130]);
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

  test("after a signal, dispose keeps listening: the same signal delivered again as the command ends is ignored, not fatal", async () => {
    const host = new FakeProcess();
    let nowMs = 0;
    const log = captureLogger();
    const shutdown = listenForShutdownSignals({
      logger: log.logger,
      timeoutMs: 60_000,
      timeoutExitCode: 1,
      host,
      now: () => nowMs,
    });
    host.send("SIGINT");
    await shutdown.received;
    // The run stopped quickly and the command ends, while npm's copy of the Ctrl-C is still on its way.
    shutdown.dispose();
    nowMs += 5;
    host.send("SIGINT");
    expect(host.exits).toEqual([]);
    expect(log.lines().at(-1)?.msg).toMatch(/the same signal delivered twice/);
  });
});
