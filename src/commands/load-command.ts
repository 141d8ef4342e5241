import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { loadFileLoadConfig } from "../config.js";
import { SyncError, describeError } from "../errors.js";
import { parseInstant } from "../sync/normalize/parse-instant.js";
import { runFileLoad } from "../sync/run/run-file-load.js";
import type { ExportFile } from "../zephr/export/read-export-files.js";
import { exitCodes, writeLine, type CommandContext, type ExitCode } from "./command-context.js";
import { runInFrame } from "./run-command.js";

/** Thrown for arguments that do not make a load; the CLI maps it to exit 2. */
export class LoadUsageError extends Error {}

export interface LoadArgs {
  /** As given; `-` is standard input. */
  readonly paths: readonly string[];
  readonly full: boolean;
  readonly purgeDeleted: boolean;
  readonly exportedAt: Date | undefined;
  readonly dryRun: boolean;
}

export interface LoadFlags {
  readonly full?: boolean | undefined;
  readonly "purge-deleted"?: boolean | undefined;
  readonly "exported-at"?: string | undefined;
  readonly "dry-run"?: boolean | undefined;
}

/** `load FILE… [--full [--purge-deleted]] [--exported-at INSTANT] [--dry-run]`; `-` at most once. */
export function parseLoadArgs(paths: readonly string[], flags: LoadFlags): LoadArgs {
  if (paths.length === 0) throw new LoadUsageError("load needs at least one FILE (or - for standard input)");
  if (paths.filter((path) => path === "-").length > 1) {
    throw new LoadUsageError("standard input (-) can be given only once");
  }
  if (flags["purge-deleted"] === true && flags.full !== true) {
    throw new LoadUsageError("--purge-deleted goes with --full");
  }
  const exportedAtText = flags["exported-at"];
  const exportedAtIso = exportedAtText === undefined ? undefined : parseInstant(exportedAtText, "UTC");
  if (exportedAtText !== undefined && exportedAtIso === undefined) {
    throw new LoadUsageError(
      `--exported-at ${JSON.stringify(exportedAtText)} is not an instant (e.g. 2024-01-31T12:00:00Z)`,
    );
  }
  return {
    paths,
    full: flags.full === true,
    purgeDeleted: flags["purge-deleted"] === true,
    exportedAt: exportedAtIso === undefined ? undefined : new Date(exportedAtIso),
    dryRun: flags["dry-run"] === true,
  };
}

/**
 * `zephr-sync load`: export files saved from the Admin Console (or saved API pages) into the warehouse,
 * in one run (runFileLoad). Standard input (`-`) is first copied to a private temporary file, removed
 * afterwards, so that it can be read twice (checked through to its end, then loaded) like any file.
 */
export async function loadCommand(context: CommandContext, args: LoadArgs): Promise<ExitCode> {
  const config = loadFileLoadConfig(context.env);
  const nowMs = Date.now();
  if (args.exportedAt !== undefined && args.exportedAt.getTime() > nowMs + config.zephr.maxClockSkewMs) {
    writeLine(
      context.stderr,
      `zephr-sync: --exported-at ${args.exportedAt.toISOString()} is in the future (beyond ZEPHR_MAX_CLOCK_SKEW): ` +
        "a watermark there would make the next runs skip the users changed until then. Give the instant the export was downloaded. See 'zephr-sync load --help'.",
    );
    return exitCodes.usage;
  }
  let spoolDir: string | undefined;
  try {
    const files: ExportFile[] = [];
    for (const path of args.paths) {
      if (path === "-") {
        spoolDir = await mkdtemp(join(tmpdir(), "zephr-sync-load-"));
        const spooled = join(spoolDir, "stdin");
        await pipeline(context.stdin ?? process.stdin, createWriteStream(spooled, { mode: 0o600 }));
        files.push({ path: spooled, name: "-", bytes: (await stat(spooled)).size });
      } else {
        files.push({ path, name: basename(path), bytes: await sizeOf(path) });
      }
    }
    return await loadFiles(context, config, args, files);
  } finally {
    if (spoolDir !== undefined) await rm(spoolDir, { recursive: true, force: true });
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    // Readable at all: a permission problem is said here rather than half-way.
    await new Promise<void>((resolve, reject) => {
      const probe = createReadStream(path, { start: 0, end: 0 });
      probe.on("error", reject).on("open", () => {
        probe.destroy();
        resolve();
      });
    });
    return info.size;
  } catch (error) {
    throw new SyncError(
      "EXPORT_FILE_INVALID",
      `${path}: cannot be read (${describeError(error)}). Nothing was loaded.`,
      { cause: error },
    );
  }
}

function loadFiles(
  context: CommandContext,
  config: ReturnType<typeof loadFileLoadConfig>,
  args: LoadArgs,
  files: readonly ExportFile[],
): Promise<ExitCode> {
  return runInFrame(context, config, args.dryRun, (frame) =>
    runFileLoad(
      { config, ...frame },
      {
        kind: "file",
        files,
        full: args.full,
        purgeDeleted: args.purgeDeleted,
        exportedAt: args.exportedAt,
        dryRun: args.dryRun,
      },
    ),
  );
}
