import { spawn, type ChildProcessByStdio } from "node:child_process";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { findPackageRoot } from "../../src/package-root.js";

/** The built CLI (npm test builds first), exactly as `npx zephr-sync` runs it. */
export const cliPath = join(findPackageRoot(), "dist", "src", "cli.js");

export interface CliProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines written so far (stderr). */
  logLines(): Record<string, unknown>[];
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to this process (by its pid), if it is still running. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts `zephr-sync ...args` (the built CLI) with exactly `env` (plus PATH) and returns at once, for
 * tests that act on it while it runs. A safety timeout kills it should a test forget.
 */
export function startCliProcess(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    logLines: () =>
      stderr
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    kill(signal) {
      if (running && child.pid !== undefined) process.kill(child.pid, signal);
    },
  };
}

/** Polls until `check` returns something other than undefined/false (see wait-for.ts). */
export { waitFor as waitUntil } from "./wait-for.js";
