import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, SyncError, describeError } from "../errors.js";
import { findPackageRoot } from "../package-root.js";
import { parseDurationMs } from "../duration.js";
import { exitCodes, writeLine, type CommandContext, type ExitCode } from "./command-context.js";
import { helpText } from "./help-text.js";
import { migrateCommand } from "./migrate-command.js";
import { syncCommand } from "./run-command.js";
import { BackfillUsageError, parseBackfillArgs } from "./parse-backfill-args.js";
import { statusCommand } from "./status-command.js";

function packageVersion(): string {
  const parsed = JSON.parse(readFileSync(join(findPackageRoot(), "package.json"), "utf8")) as {
    version?: unknown;
  };
  return typeof parsed.version === "string" ? parsed.version : "0.0.0";
}

class UsageError extends Error {}

function parse(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        json: { type: "boolean" },
        full: { type: "boolean" },
        runs: { type: "string" },
        "max-age": { type: "string" },
        since: { type: "string" },
        "registered-since": { type: "string" },
        "registered-before": { type: "string" },
        chunk: { type: "string" },
        resume: { type: "boolean" },
        "purge-deleted": { type: "boolean" },
        "dry-run": { type: "boolean" },
      },
    });
  } catch (error) {
    throw new UsageError(describeError(error));
  }
}

function allowOnly(command: string, given: Record<string, unknown>, allowed: readonly string[]): void {
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && !allowed.includes(name))
      throw new UsageError(`'${command}' does not take --${name}`);
  }
}

async function dispatch(args: readonly string[], context: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parse(args);
  if (values.version === true) {
    writeLine(context.stdout, packageVersion());
    return exitCodes.ok;
  }
  const [command, ...rest] = positionals;
  if (values.help === true || command === "help" || command === undefined) {
    (command === undefined && values.help !== true ? context.stderr : context.stdout).write(
      helpText(packageVersion()),
    );
    return command === undefined && values.help !== true ? exitCodes.usage : exitCodes.ok;
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument(s): ${rest.join(" ")}`);
  switch (command) {
    case "run":
      allowOnly(command, values, []);
      return syncCommand(context, { kind: "incremental" });
    case "backfill": {
      const allowed = [
        "since",
        "registered-since",
        "registered-before",
        "chunk",
        "resume",
        "full",
        "purge-deleted",
        "dry-run",
      ];
      allowOnly(command, values, allowed);
      return syncCommand(context, parseBackfillArgs(values, Date.now()));
    }
    case "status": {
      allowOnly(command, values, ["json", "runs", "max-age"]);
      const runs = values.runs === undefined ? 10 : Number(values.runs);
      if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
        throw new UsageError("--runs takes a whole number from 1 to 1000");
      }
      const maxAge = values["max-age"];
      const maxAgeMs = maxAge === undefined ? undefined : parseDurationMs(maxAge);
      if (maxAge !== undefined && (maxAgeMs === undefined || maxAgeMs <= 0)) {
        throw new UsageError(`--max-age ${JSON.stringify(maxAge)} must be a duration such as 26h`);
      }
      return statusCommand(context, { json: values.json === true, runs, maxAgeMs });
    }
    case "migrate":
      allowOnly(command, values, []);
      return migrateCommand(context);
    case "schedule": {
      allowOnly(command, values, []);
      // The scheduler's modules (node-cron, prom-client) load only for it, not for every run.
      const { scheduleCommand } = await import("./schedule-command.js");
      return scheduleCommand(context);
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** Parses arguments, runs one command, and maps every outcome to a documented exit code. */
export async function runCli(args: readonly string[], context: CommandContext): Promise<ExitCode> {
  try {
    return await dispatch(args, context);
  } catch (error) {
    if (error instanceof UsageError || error instanceof BackfillUsageError) {
      writeLine(context.stderr, `zephr-sync: ${error.message}. See 'zephr-sync --help'.`);
      return exitCodes.usage;
    }
    if (error instanceof ConfigError) {
      writeLine(context.stderr, `zephr-sync: ${error.message}`);
      return exitCodes.usage;
    }
    if (error instanceof SyncError) {
      writeLine(context.stderr, `zephr-sync: [${error.code}] ${error.message}`);
      return error.code === "CONFIG_INVALID" ? exitCodes.usage : exitCodes.runFailed;
    }
    writeLine(context.stderr, `zephr-sync: unexpected error: ${describeError(error)}`);
    return exitCodes.runFailed;
  }
}
