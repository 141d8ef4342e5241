import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/logger.js";

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line logged so far, parsed. */
  lines(): Record<string, unknown>[];
  /** The lines whose msg is exactly `msg`. */
  withMessage(msg: string): Record<string, unknown>[];
}

/** A real pino logger at info level whose JSON lines are kept for assertions. */
export function captureLogger(): CapturedLog {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString("utf8"));
      callback();
    },
  });
  const logger = createLogger("info", sink);
  const lines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, withMessage: (msg) => lines().filter((line) => line.msg === msg) };
}
