import { spawn, type ChildProcessByStdio } from "node:child_process";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { findPackageRoot } from "../../src/package-root.js";
import { waitFor } from "./wait-for.js";

/**
 * The one way tests start the CLI: the built `zephr-sync` as a real process, with exactly the env given
 * (plus PATH). `startCliProcess` returns at once, for tests that act on it while it runs; `runCli` waits
 * for it and returns what it printed.
 */

/** The built CLI (npm test builds first), exactly as `npx zephr-sync` runs it. */
export const cliPath = join(findPackageRoot(), "dist", "src", "cli.js");

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When the process had exited (ms since the epoch). */
  readonly atMs: number;
}

export interface CliOptions {
  /** A safety timeout that kills the process should a test forget it; 60 s unless told. */
  readonly timeoutMs?: number;
  /** Run it under script(1), on a pseudo-terminal: stdout then holds everything it drew there. */
  readonly terminal?: boolean;
}

export interface CliProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines written so far (stderr). */
  logLines(): Record<string, unknown>[];
  /** Waits for a log line whose msg is `msg` (or matches it), and returns it. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves once the process has exited. */
  readonly exited: Promise<CliExit>;
  /** Sends a signal to this process (by its pid), if it is still running. */
  kill(signal: NodeJS.Signals): void;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `zephr-sync ...args` and returns at once. */
export function startCliProcess(
  args: readonly string[],
  env: Record<string, string>,
  options: CliOptions = {},
): CliProcess {
  const [command, commandArgs] = options.terminal
    ? ["script", ["-qec", [process.execPath, cliPath, ...args].join(" "), "/dev/null"]]
    : [process.execPath, [cliPath, ...args]];
  const child = spawn(command, commandArgs, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 60_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let running = true;
  const exited = new Promise<CliExit>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running = false;
      resolve({ code, signal, atMs: Date.now() });
    });
  });
  const logLines = () =>
    stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
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
    kill(signal) {
      if (running && child.pid !== undefined) process.kill(child.pid, signal);
    },
  };
}

/** Runs `zephr-sync ...args` to its end and collects its output. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: CliOptions = {},
): Promise<CliResult> {
  const cli = startCliProcess(args, env, options);
  const { code, signal } = await cli.exited;
  return { code, signal, stdout: cli.stdout(), stderr: cli.stderr() };
}
