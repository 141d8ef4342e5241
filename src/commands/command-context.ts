import type { Env } from "../config.js";

/** What a command may touch: its arguments, environment and output streams (injected for tests). */
export interface CommandContext {
  readonly env: Env;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** What `load -` reads (process.stdin when not given). */
  readonly stdin?: NodeJS.ReadableStream;
}

/** Documented in --help and the README. */
export const exitCodes = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  locked: 3,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export function writeLine(stream: NodeJS.WritableStream, text = ""): void {
  stream.write(text + "\n");
}
