import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * Structured JSON log lines on stderr (stdout is kept for command output such as `status --json`).
 * Secrets never reach the logger: configuration is never logged whole, and the paths that carry
 * credentials are redacted in case a future caller passes them.
 */
export function createLogger(level: LogLevel, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { app: "zephr-sync" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "secretKey",
          "*.secretKey",
          "databaseUrl",
          "*.databaseUrl",
          "authorization",
          "*.authorization",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
