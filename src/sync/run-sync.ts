import type { Agent } from "node:http";
import type { SyncConfig } from "../config.js";
import { SyncError, describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Pool } from "../db/pool.js";
import { withTransaction } from "../db/pool.js";
import { tryAcquireRunLock, type RunLock } from "../db/run-lock.js";
import {
  insertRun,
  markAbandonedRuns,
  markRunEnded,
  markRunSucceeded,
  setRunExportStartedAt,
  zeroCounts,
  type RunCounts,
  type RunKind,
} from "../db/sync-runs.js";
import { findWatermark, saveWatermark, usersStream } from "../db/sync-watermarks.js";
import { createZephrAgent } from "../zephr/open-export-page.js";
import { exportPages } from "../zephr/export-pages.js";
import type { ExportWindow } from "../zephr/export-query.js";
import { BatchLoader } from "./batch-loader.js";
import { loadUserBatch } from "./load-user-batch.js";
import { normalizeElement } from "./normalize-element.js";
import { toDatabaseError } from "./database-errors.js";
import { addCounts } from "./run-counts.js";
import { readCaFile } from "./read-ca-file.js";
import type { SyncProgressListener } from "./sync-progress.js";

export interface SyncDeps {
  readonly config: SyncConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  /** ms since the epoch; injectable so tests control time. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: SyncProgressListener;
}

export interface SyncRequest {
  /** incremental: since = watermark - lookback (a full export when there is no watermark yet). */
  readonly kind: "incremental" | "full";
}

export type SyncOutcome =
  | { readonly status: "locked" }
  | {
      readonly status: "succeeded";
      readonly runId: string;
      readonly kind: RunKind;
      readonly sinceAt: Date | null;
      readonly watermarkAt: Date;
      readonly counts: RunCounts;
    }
  | {
      readonly status: "failed";
      readonly runId: string | undefined;
      readonly error: SyncError;
      readonly counts: RunCounts;
    };

function asSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  if (typeof error === "object" && error !== null && "code" in error)
    return toDatabaseError(error, "syncing");
  return new SyncError("DB_ERROR", `Unexpected failure: ${describeError(error)}`, { cause: error });
}

/**
 * One run: lock → window → stream pages → batches → load → checkpoint. The watermark moves only in the
 * transaction that marks the run succeeded, after every page was loaded; any failure leaves it where it
 * was and records why on the run row.
 */
export async function runSync(deps: SyncDeps, request: SyncRequest): Promise<SyncOutcome> {
  let lock: RunLock | undefined;
  try {
    lock = await tryAcquireRunLock(deps.config.databaseUrl);
  } catch (error) {
    return {
      status: "failed",
      runId: undefined,
      error: toDatabaseError(error, "taking the run lock"),
      counts: zeroCounts,
    };
  }
  if (lock === undefined) return { status: "locked" };
  try {
    return await runLocked(deps, request, lock);
  } finally {
    await lock.release();
  }
}

async function runLocked(deps: SyncDeps, request: SyncRequest, lock: RunLock): Promise<SyncOutcome> {
  const { config, pool, logger } = deps;
  const report = deps.onProgress ?? (() => undefined);
  const startedAtMs = deps.now();
  let runId: string | undefined;
  let counts = zeroCounts;
  let lockLost: Error | undefined;
  void lock.lost.then((error) => {
    lockLost = error;
  });
  let agent: Agent | undefined;
  let loader: BatchLoader | undefined;
  try {
    agent = createZephrAgent(config.zephr.baseUrl, readCaFile(config.zephr.caFile));
    const abandoned = await markAbandonedRuns(pool);
    if (abandoned > 0) logger.warn({ abandoned }, "marked runs left running by a dead process as abandoned");
    const watermark = await findWatermark(pool, usersStream);
    const kind: RunKind = request.kind === "incremental" && watermark !== null ? "incremental" : "full";
    const sinceAt =
      kind === "incremental" && watermark !== null ? new Date(watermark.getTime() - config.lookbackMs) : null;
    runId = await insertRun(pool, kind, { sinceAt, registeredSinceAt: null, registeredBeforeAt: null });
    const runLog = logger.child({ runId, kind });
    runLog.info(
      { since: sinceAt?.toISOString() ?? null, watermark: watermark?.toISOString() ?? null },
      "run started",
    );
    report({ type: "preparing", runId, kind, sinceAt });

    const window: ExportWindow = { sinceMs: sinceAt?.getTime() };
    const currentRunId = runId;
    loader = new BatchLoader(
      config.batchSize,
      (batch) => loadUserBatch({ pool, runId: currentRunId, retries: 3, retryMinMs: 200 }, batch),
      (loaded) => {
        counts = addCounts(counts, loaded);
        runLog.debug({ batch: loaded, total: counts }, "batch loaded");
      },
    );
    const activeLoader = loader;
    let exportStartedAt: Date | undefined;
    const download = { bytes: 0, pages: 0, users: 0, expectedUsers: undefined as number | undefined };
    await exportPages(
      config.zephr,
      window,
      { http: { agent, now: deps.now }, sleep: deps.sleep, ...(deps.signal ? { signal: deps.signal } : {}) },
      {
        onExportStarted: async (serverDateMs, requestedAtMs) => {
          exportStartedAt = chooseExportStart(
            config.zephr.watermarkClock,
            serverDateMs,
            requestedAtMs,
            runLog,
          );
          await setRunExportStartedAt(pool, currentRunId, exportStartedAt);
        },
        onChunk: async (elements, page, bytes) => {
          if (lockLost) throw lockLostError(lockLost);
          const batch = activeLoader.batch;
          for (const built of elements) {
            const outcome = normalizeElement(built, { grantTimezone: config.zephr.grantTimezone });
            if (outcome.ok) batch.addUser(outcome.user);
            else batch.addReject(page, outcome.rejected);
          }
          download.bytes += bytes;
          download.users += elements.length;
          report({ type: "downloading", ...download, elapsedMs: deps.now() - startedAtMs });
          await activeLoader.next();
        },
        onPage: async (result) => {
          const batch = activeLoader.batch;
          batch.pages += 1;
          batch.bytes += result.bytes;
          download.pages += 1;
          download.expectedUsers = result.summary.totalCount ?? download.expectedUsers;
          runLog.info({ page: result.page, users: result.elements, bytes: result.bytes }, "page received");
          await activeLoader.next();
        },
        onRetry: (page, error, attempt, delayMs) => {
          runLog.warn(
            { page, attempt, delayMs, code: error.code, err: error.message },
            "page failed; retrying",
          );
          report({ type: "retrying", page, delayMs, reason: error.message });
        },
        onStop: (reason, pages) => {
          runLog.info({ reason, pages }, "export complete");
        },
      },
    );
    await activeLoader.finish();
    if (lockLost) throw lockLostError(lockLost);
    if (exportStartedAt === undefined) throw new Error("export finished without a first response");
    const watermarkAt = exportStartedAt;
    await withTransaction(pool, async (client) => {
      await markRunSucceeded(client, currentRunId);
      await saveWatermark(client, usersStream, watermarkAt, currentRunId);
    });
    runLog.info({ counts, watermark: watermarkAt.toISOString() }, "run succeeded");
    report({ type: "complete", counts, elapsedMs: deps.now() - startedAtMs });
    return { status: "succeeded", runId: currentRunId, kind, sinceAt, watermarkAt, counts };
  } catch (caught) {
    await loader?.settle();
    const error = asSyncError(caught);
    if (runId !== undefined) {
      await markRunEnded(
        pool,
        runId,
        error.code === "CANCELLED" ? "cancelled" : "failed",
        error.code,
        error.message,
      ).catch((markError: unknown) => {
        logger.error({ runId, err: describeError(markError) }, "could not record the run's failure");
      });
    }
    logger.error({ runId, code: error.code, err: error.message }, "run failed; watermark unchanged");
    report({ type: "failed", error, elapsedMs: deps.now() - startedAtMs });
    return { status: "failed", runId, error, counts };
  } finally {
    agent?.destroy();
  }
}

function lockLostError(cause: Error): SyncError {
  return new SyncError(
    "LOCK_LOST",
    `Lost the run lock (${cause.message}): another run could start, so this one stops. The next run repairs it.`,
    { cause },
  );
}

function chooseExportStart(
  clock: "server" | "local",
  serverDateMs: number | undefined,
  requestedAtMs: number,
  logger: Logger,
): Date {
  if (clock === "server" && serverDateMs !== undefined) {
    const skewMs = serverDateMs - requestedAtMs;
    if (Math.abs(skewMs) > 60_000)
      logger.warn({ skewMs }, "Zephr's clock and this machine's differ by over a minute");
    return new Date(serverDateMs);
  }
  return new Date(requestedAtMs);
}
