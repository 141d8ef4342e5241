import { loadDatabaseConfig } from "../config.js";
import { createLogger } from "../logger.js";
import type { RunRow } from "../db/sync-runs.js";
import { readStatus, type SyncStatus } from "../sync/run/read-status.js";
import { exitCodes, writeLine, type CommandContext, type ExitCode } from "./command-context.js";
import { ensureDatabaseReachable, openPool } from "./open-database.js";
import { formatCount, formatElapsed } from "./format.js";

export interface StatusCommandOptions {
  readonly json: boolean;
  readonly runs: number;
  /** Exit 1 when the last successful run finished longer ago than this (ms), or never. */
  readonly maxAgeMs: number | undefined;
  /** --max-age as the user wrote it, for the message. */
  readonly maxAgeText?: string | undefined;
}

/** Whether the warehouse is fresh enough for --max-age. */
export function isStale(status: SyncStatus, maxAgeMs: number | undefined, nowMs: number): boolean {
  if (maxAgeMs === undefined) return false;
  return status.lastSuccessAt === null || nowMs - status.lastSuccessAt.getTime() > maxAgeMs;
}

/** Why --max-age failed: no run ever succeeded, or the last success is older than `maxAge`. */
export function describeStaleness(lastSuccessAt: Date | null, maxAge: string, nowMs: number): string {
  if (lastSuccessAt === null) {
    return (
      `the warehouse is stale (--max-age ${maxAge}): no incremental or full run has succeeded on this database yet. ` +
      "Run 'zephr-sync run' (the first run is a full export); the recent runs above say how earlier ones ended."
    );
  }
  return (
    `the warehouse is stale: the last successful run finished at ${lastSuccessAt.toISOString()}, ` +
    `${formatElapsed(nowMs - lastSuccessAt.getTime())} ago, longer ago than --max-age ${maxAge}.`
  );
}

function runJson(run: RunRow) {
  return {
    runId: run.runId,
    kind: run.kind,
    status: run.status,
    sinceAt: run.sinceAt?.toISOString() ?? null,
    registeredSinceAt: run.registeredSinceAt?.toISOString() ?? null,
    registeredBeforeAt: run.registeredBeforeAt?.toISOString() ?? null,
    startedAt: run.startedAt.toISOString(),
    exportStartedAt: run.exportStartedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.finishedAt === null ? null : run.finishedAt.getTime() - run.startedAt.getTime(),
    pages: run.pages,
    bytes: run.bytes,
    usersReceived: run.usersReceived,
    expectedCount: run.expectedCount,
    usersWritten: run.usersWritten,
    attributesWritten: run.attributesWritten,
    grantsWritten: run.grantsWritten,
    rejected: run.rejected,
    usersDeleted: run.usersDeleted,
    backfillId: run.backfillId,
    errorCode: run.errorCode,
    errorMessage: run.errorMessage,
  };
}

/** The machine-readable status: stable keys, ISO instants, numbers as numbers. */
export function statusJson(status: SyncStatus) {
  return {
    tenant:
      status.tenant === null
        ? null
        : { baseUrl: status.tenant.baseUrl, boundAt: status.tenant.boundAt.toISOString() },
    watermark: status.watermark?.toISOString() ?? null,
    lastSuccessAt: status.lastSuccessAt?.toISOString() ?? null,
    tables: status.tables,
    runs: status.runs.map(runJson),
  };
}

function describeRun(run: RunRow, nowMs: number): string {
  const duration = formatElapsed((run.finishedAt?.getTime() ?? nowMs) - run.startedAt.getTime());
  const window = run.sinceAt === null ? "full" : `since ${run.sinceAt.toISOString()}`;
  const expected = run.expectedCount === null ? "" : ` (Zephr stated ${formatCount(run.expectedCount)})`;
  const figures = `${formatCount(run.pages)} pages, ${formatCount(run.usersReceived)} users in${expected}, ${formatCount(run.usersWritten)} written, ${formatCount(run.rejected)} rejected`;
  const error =
    run.errorMessage === null
      ? ""
      : `\n        ${run.errorCode ?? ""}: ${run.errorMessage.split("\n")[0] ?? ""}`;
  return `  #${run.runId.padEnd(5)} ${run.status.padEnd(10)} ${run.kind.padEnd(12)} ${run.startedAt.toISOString()}  ${duration.padStart(7)}  ${window}; ${figures}${error}`;
}

function writeHuman(context: CommandContext, status: SyncStatus, nowMs: number): void {
  const out = context.stdout;
  const ago = (date: Date | null) =>
    date === null ? "never" : `${date.toISOString()} (${formatElapsed(nowMs - date.getTime())} ago)`;
  writeLine(
    out,
    `Tenant:        ${status.tenant === null ? "none yet (the next run binds this database to its ZEPHR_BASE_URL)" : `${status.tenant.baseUrl} (since ${status.tenant.boundAt.toISOString()})`}`,
  );
  writeLine(
    out,
    `Watermark:     ${status.watermark === null ? "none yet (the next run is a full export)" : status.watermark.toISOString()}`,
  );
  writeLine(out, `Last success:  ${ago(status.lastSuccessAt)}`);
  const t = status.tables;
  writeLine(
    out,
    `Rows:          ${formatCount(t.users)} users (${formatCount(t.usersDeleted)} deleted), ${formatCount(t.userAttributes)} attributes, ${formatCount(t.userGrants)} grants, ${formatCount(t.syncRejects)} rejects`,
  );
  writeLine(out);
  writeLine(out, status.runs.length === 0 ? "No runs yet." : "Recent runs (newest first):");
  for (const run of status.runs) writeLine(out, describeRun(run, nowMs));
}

/** `zephr-sync status [--json] [--runs N]`. */
export async function statusCommand(
  context: CommandContext,
  options: StatusCommandOptions,
): Promise<ExitCode> {
  const config = loadDatabaseConfig(context.env);
  const logger = createLogger(config.logLevel, context.stderr);
  const pool = openPool(config, logger);
  try {
    await ensureDatabaseReachable(pool, config, logger);
    const status = await readStatus(pool, options.runs);
    const nowMs = Date.now();
    const stale = isStale(status, options.maxAgeMs, nowMs);
    if (options.json) writeLine(context.stdout, JSON.stringify({ ...statusJson(status), stale }, null, 2));
    else writeHuman(context, status, nowMs);
    if (stale) {
      writeLine(
        context.stderr,
        `zephr-sync: ${describeStaleness(status.lastSuccessAt, options.maxAgeText ?? `${options.maxAgeMs ?? 0}ms`, nowMs)}`,
      );
      return exitCodes.runFailed;
    }
    return exitCodes.ok;
  } finally {
    await pool.end();
  }
}
