import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, SyncError, describeError } from "../errors.js";
import { findPackageRoot } from "../package-root.js";
import { parseDurationMs } from "../duration.js";
import { exitCodes, writeLine, type CommandContext, type ExitCode } from "./command-context.js";
import {
  commandFlags,
  findCommandsTaking,
  globalFlags,
  isCommandName,
  type CommandName,
} from "./command-flags.js";
import { findNearestFlag } from "./find-nearest-flag.js";
import { commandHelpText, helpText } from "./help-text.js";
import { migrateCommand } from "./migrate-command.js";
import { syncCommand } from "./run-command.js";
import { BackfillUsageError, parseBackfillArgs } from "./parse-backfill-args.js";
import { statusCommand } from "./status-command.js";
import { LoadUsageError, loadCommand, parseLoadArgs } from "./load-command.js";

function packageVersion(): string {
  const parsed = JSON.parse(readFileSync(join(findPackageRoot(), "package.json"), "utf8")) as {
    version?: unknown;
  };
  return typeof parsed.version === "string" ? parsed.version : "0.0.0";
}

class UsageError extends Error {
  /** The command whose --help to point at, when known. */
  readonly command: CommandName | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = isCommandName(command) ? command : undefined;
  }
}

/** Every flag any command takes, for suggestions. */
const knownFlags: readonly string[] = [
  ...globalFlags,
  ...new Set(Object.values(commandFlags).flatMap((flags) => [...flags])),
];

/** "did you mean …?" for a flag `command` does not take, naming the command that takes it if another. */
function suggestFlag(given: string, command: CommandName | undefined): string {
  const own: readonly string[] =
    command === undefined ? knownFlags : [...globalFlags, ...commandFlags[command]];
  const near = findNearestFlag(given, own) ?? findNearestFlag(given, knownFlags);
  if (near === undefined) return "";
  if (own.includes(near)) return `; did you mean --${near}?`;
  const takers = findCommandsTaking(near).map((name) => `'${name}'`);
  return `; did you mean --${near}? It goes with ${takers.join(" and ")}, not '${command ?? ""}'`;
}

/** Node's parseArgs errors, said our way (its own text talks of positionals and quoting). */
function describeParseError(error: unknown, command: string | undefined): UsageError {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const message = describeError(error);
  const unknown = /^Unknown option '(-{1,2})([^']*)'/.exec(message);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown !== null) {
    const [, dashes = "--", name = ""] = unknown;
    const where = isCommandName(command) ? ` for '${command}'` : "";
    return new UsageError(
      `unknown option ${dashes}${name}${where}${suggestFlag(name, isCommandName(command) ? command : undefined)}`,
      command,
    );
  }
  const missing = /^Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument missing/.exec(message);
  if (missing !== null) return new UsageError(`${missing[1] ?? ""} needs a value`, command);
  const noValue = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message);
  if (noValue !== null) return new UsageError(`${noValue[1] ?? ""} takes no value`, command);
  return new UsageError(message.replace(/\.$/, ""), command);
}

function parse(args: readonly string[]) {
  // The command, for messages: parseArgs fails before it says which one it is.
  const command = args.find((arg) => !arg.startsWith("-"));
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
        "exported-at": { type: "string" },
      },
    });
  } catch (error) {
    throw describeParseError(error, command);
  }
}

function allowOnly(command: CommandName, given: Record<string, unknown>): void {
  const allowed: readonly string[] = commandFlags[command];
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined || allowed.includes(name)) continue;
    const takers = findCommandsTaking(name).map((taker) => `'${taker}'`);
    throw new UsageError(
      `'${command}' does not take --${name}` +
        (takers.length === 0 ? "" : `; it goes with ${takers.join(" and ")}`),
      command,
    );
  }
}

async function dispatch(args: readonly string[], context: CommandContext): Promise<ExitCode> {
  const { values, positionals } = parse(args);
  if (values.version === true) {
    writeLine(context.stdout, packageVersion());
    return exitCodes.ok;
  }
  const [command, ...rest] = positionals;
  // `zephr-sync run --help`, `zephr-sync help run`: that command's own help.
  const helpFor = command === "help" ? rest[0] : values.help === true ? command : undefined;
  if (isCommandName(helpFor) && (command === "help" ? rest.length === 1 : rest.length === 0)) {
    context.stdout.write(commandHelpText(helpFor, packageVersion()));
    return exitCodes.ok;
  }
  if (command === "help" && rest.length > 0) throw new UsageError(`unknown command '${rest.join(" ")}'`);
  if (command !== undefined && command !== "help" && !isCommandName(command)) {
    throw new UsageError(`unknown command '${command}'`);
  }
  if (values.help === true || command === "help" || command === undefined) {
    (command === undefined && values.help !== true ? context.stderr : context.stdout).write(
      helpText(packageVersion()),
    );
    return command === undefined && values.help !== true ? exitCodes.usage : exitCodes.ok;
  }
  if (!isCommandName(command)) throw new UsageError(`unknown command '${String(command)}'`);
  if (rest.length > 0 && command !== "load") {
    throw new UsageError(`unexpected argument(s): ${rest.join(" ")}`, command);
  }
  allowOnly(command, values);
  switch (command) {
    case "load":
      return loadCommand(context, parseLoadArgs(rest, values));
    case "run":
      return syncCommand(context, { kind: "incremental" });
    case "backfill":
      return syncCommand(context, parseBackfillArgs(values, Date.now()));
    case "status": {
      const runs = values.runs === undefined ? 10 : Number(values.runs);
      if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
        throw new UsageError("--runs takes a whole number from 1 to 1000", command);
      }
      const maxAge = values["max-age"];
      const maxAgeMs = maxAge === undefined ? undefined : parseDurationMs(maxAge);
      if (maxAge !== undefined && (maxAgeMs === undefined || maxAgeMs <= 0)) {
        throw new UsageError(`--max-age ${JSON.stringify(maxAge)} must be a duration such as 26h`, command);
      }
      return statusCommand(context, { json: values.json === true, runs, maxAgeMs, maxAgeText: maxAge });
    }
    case "migrate":
      return migrateCommand(context);
    case "schedule": {
      // The scheduler's modules (node-cron, prom-client) load only for it, not for every run.
      const { scheduleCommand } = await import("./schedule-command.js");
      return scheduleCommand(context);
    }
  }
}

/** Parses arguments, runs one command, and maps every outcome to a documented exit code. */
export async function runCli(args: readonly string[], context: CommandContext): Promise<ExitCode> {
  try {
    return await dispatch(args, context);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof BackfillUsageError ||
      error instanceof LoadUsageError
    ) {
      const command =
        error instanceof UsageError ? error.command : error instanceof LoadUsageError ? "load" : "backfill";
      const help = command === undefined ? "zephr-sync --help" : `zephr-sync ${command} --help`;
      const stop = error.message.endsWith("?") ? "" : ".";
      writeLine(context.stderr, `zephr-sync: ${error.message}${stop} See '${help}'.`);
      return exitCodes.usage;
    }
    if (error instanceof ConfigError) {
      writeLine(context.stderr, `zephr-sync: ${error.message}`);
      return exitCodes.usage;
    }
    if (error instanceof SyncError) {
      writeLine(context.stderr, `zephr-sync: [${error.code}] ${error.message}`);
      // Fix the configuration: an invalid one, or a database that mirrors another tenant (schedule
      // refuses that at start, as run does).
      return error.code === "CONFIG_INVALID" || error.code === "TENANT_MISMATCH"
        ? exitCodes.usage
        : exitCodes.runFailed;
    }
    writeLine(context.stderr, `zephr-sync: unexpected error: ${describeError(error)}`);
    return exitCodes.runFailed;
  }
}
