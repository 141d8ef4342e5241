import { startCliProcess } from "./cli-process.js";

export { cliPath } from "./cli-process.js";

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `zephr-sync ...args` as a real process with exactly `env` (plus PATH), and collects its output. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  const process = startCliProcess(args, env, timeoutMs);
  const { code, signal } = await process.exited;
  return { code, signal, stdout: process.stdout(), stderr: process.stderr() };
}
