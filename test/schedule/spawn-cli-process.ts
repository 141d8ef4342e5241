import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { cliPath } from "../support/spawn-cli.js";
import { waitFor } from "../support/wait-for.js";

export interface CliProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  /** The JSON log lines written so far (stderr). */
  logLines(): Record<string, unknown>[];
  /** Waits for a log line whose msg matches. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited, with when it did (ms since the epoch). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

/**
 * Starts `zephr-sync ...args` (the built CLI) as a long-lived process with exactly `env` (plus PATH), for
 * tests that signal it. A safety timeout kills it should a test forget.
 */
export function spawnCliProcess(args: readonly string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>(
    (resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => {
        resolve({ code, signal, atMs: Date.now() });
      });
    },
  );
  const logLines = () =>
    stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    child,
    stdout: () => stdout,
    logLines,
    waitForLog: (msg, timeoutMs) =>
      waitFor(
        () => `log line ${String(msg)} (stderr so far:\n${stderr})`,
        () =>
          logLines().find((line) =>
            typeof msg === "string" ? line.msg === msg : typeof line.msg === "string" && msg.test(line.msg),
          ),
        timeoutMs,
      ),
    exited,
  };
}
