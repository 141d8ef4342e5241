import type { SyncConfig } from "../../config.js";
import type { Pool } from "../../db/pool.js";
import { withTransaction } from "../../db/pool.js";
import { purgeDeletedUsers } from "../../db/purge-deleted-users.js";
import { setHistoryVersionAt } from "../../db/history-version.js";
import {
  insertRun,
  markRunEnded,
  markRunSucceeded,
  setRunExpectedCount,
  setRunExportStartedAt,
  zeroCounts,
  type RunCounts,
} from "../../db/sync-runs.js";
import { countLiveUsers, markUsersDeleted } from "../../db/live-users.js";
import { findWatermark, saveWatermark, usersStream } from "../../db/sync-watermarks.js";
import { SyncError, describeError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { toSyncError } from "../to-sync-error.js";
import { streamExport, type StreamExportContext, type StreamSettings } from "./stream-export.js";
import type { ExportEvent } from "../../zephr/export/export-pages.js";
import { BatchLoader } from "../load/batch-loader.js";
import { loadUserBatch } from "../load/load-user-batch.js";
import { planLoad } from "../load/plan-load.js";
import { addCounts } from "../load/add-counts.js";
import { jobRetries, withDatabaseRetries } from "../../db/with-database-retries.js";
import { findUnlistedUsers } from "../load/find-unlisted-users.js";
import type { DeferredIndexes } from "../load/first-load-indexes.js";
import type { WindowSpec } from "./plan-windows.js";

export type { WindowSpec } from "./plan-windows.js";

export type WindowOutcome =
  | {
      readonly status: "succeeded";
      readonly runId: string;
      readonly counts: RunCounts;
      /** The watermark after the run, when the run set it. */
      readonly watermarkAt: Date | null;
      readonly usersDeleted: number;
      readonly usersPurged: number;
    }
  | {
      readonly status: "failed" | "cancelled";
      readonly runId: string | undefined;
      readonly error: SyncError;
      readonly counts: RunCounts;
    };

export interface RunWindowContext extends StreamExportContext {
  readonly config: StreamSettings & Pick<SyncConfig, "maxDeleteFraction" | "history">;
  readonly pool: Pool;
}

function asSyncError(error: unknown, logger: Logger): SyncError {
  return toSyncError(error, "syncing", logger);
}

/**
 * One run row: stream the window's pages (from Zephr: readWindowPages; from files: readExportFiles)
 * into the warehouse, then in one transaction reconcile deletions (complete exports), mark the run
 * succeeded and move the watermark. Any failure leaves the watermark as it was and records why on the
 * run row. `pages` is read only once the run row is in.
 */
export async function runWindow(
  context: RunWindowContext,
  spec: WindowSpec,
  pages: AsyncIterable<ExportEvent>,
): Promise<WindowOutcome> {
  const { pool, config, report } = context;
  const startedAtMs = context.now();
  let runId: string | undefined;
  let counts = zeroCounts;
  let deferredIndexes: DeferredIndexes | undefined;
  try {
    runId = await insertRun(pool, spec.kind, spec.window, spec.backfillId, spec.files ?? null);
    const currentRunId = runId;
    const logger = context.logger.child({ runId, kind: spec.kind });
    logger.info(
      {
        since: spec.window.sinceAt?.toISOString() ?? null,
        registeredSince: spec.window.registeredSinceAt?.toISOString() ?? null,
        registeredBefore: spec.window.registeredBeforeAt?.toISOString() ?? null,
      },
      "run started",
    );
    report({ type: "preparing", runId, kind: spec.kind, sinceAt: spec.window.sinceAt });
    const plan = await planLoad(pool, logger, { complete: spec.reconcile !== undefined, writes: true });
    const { listed } = plan;
    deferredIndexes = plan.indexes;
    const loader = new BatchLoader(
      config.batchSize,
      (batch, previous) =>
        loadUserBatch(
          {
            pool,
            runId: currentRunId,
            grantTimezone: config.zephr.grantTimezone,
            mode: plan.mode,
            listed,
            history: config.history,
            ...jobRetries,
            logger,
          },
          batch,
          previous,
        ),
      (loaded: RunCounts) => {
        counts = addCounts(counts, loaded);
        logger.debug({ batch: loaded, total: counts }, "batch loaded");
      },
    );
    const exportStartedAt = await streamExport({ ...context, logger }, pages, loader, {
      listed,
      // The run row's bookkeeping during the export, retried like a batch (a connection replaced mid-run).
      onExportStarted: (at) =>
        withDatabaseRetries({ ...jobRetries, logger }, "recording the export's start", () =>
          setRunExportStartedAt(pool, currentRunId, at),
        ),
      onStatedCount: (count) =>
        withDatabaseRetries({ ...jobRetries, logger }, "recording the export's stated count", () =>
          setRunExpectedCount(pool, currentRunId, count),
        ),
    });
    // Before the run succeeds: a warehouse whose load is complete has all its indexes.
    await deferredIndexes?.restore();
    const finished = await withTransaction(pool, async (client) => {
      // Deletions end the users' versions at this run's export start (SYNC_HISTORY).
      if (config.history) await setHistoryVersionAt(client, currentRunId);
      let usersDeleted = 0;
      let usersPurged = 0;
      if (listed !== undefined) {
        const liveNow = await countLiveUsers(client);
        // Ids beyond what the guard below accepts are only counted, so memory stays bounded.
        const maxDeletions = Math.max(10, Math.floor(liveNow * config.maxDeleteFraction));
        const { live, unlisted, ids } = listed.coversAllLive(liveNow)
          ? { live: liveNow, unlisted: 0, ids: [] }
          : await findUnlistedUsers(client, listed, maxDeletions);
        if (unlisted > 10 && unlisted > live * config.maxDeleteFraction) {
          throw new SyncError(
            "RECONCILE_REFUSED",
            `The complete export did not list ${unlisted} of ${live} users (more than SYNC_MAX_DELETE_FRACTION=${config.maxDeleteFraction}); ` +
              "that looks like a partial export, so nobody was marked deleted. Check the export; if the deletions are real, raise SYNC_MAX_DELETE_FRACTION for one run.",
          );
        }
        for (let i = 0; i < ids.length; i += 10_000) {
          usersDeleted += await markUsersDeleted(client, ids.slice(i, i + 10_000), currentRunId);
        }
      }
      if (spec.reconcile?.purgeDeleted === true) usersPurged = await purgeDeletedUsers(client);
      await markRunSucceeded(client, currentRunId, usersDeleted);
      const current = await findWatermark(client, usersStream);
      const moveTo =
        exportStartedAt !== null &&
        (spec.watermark === "set" ||
          (spec.watermark === "forward" && (current === null || exportStartedAt > current)))
          ? exportStartedAt
          : null;
      if (moveTo !== null) await saveWatermark(client, usersStream, moveTo, currentRunId);
      return { usersDeleted, usersPurged, watermarkAt: moveTo };
    });
    logger.info({ counts, ...finished }, "run succeeded");
    report({ type: "complete", counts, elapsedMs: context.now() - startedAtMs });
    return { status: "succeeded", runId, counts, ...finished };
  } catch (caught) {
    const error = asSyncError(caught, context.logger);
    const status = error.code === "CANCELLED" ? "cancelled" : "failed";
    if (runId !== undefined) {
      const failedRunId = runId;
      await markRunEnded(pool, failedRunId, status, error.code, error.message).catch((markError: unknown) => {
        context.logger.error(
          { runId: failedRunId, err: describeError(markError) },
          "could not record how the run ended",
        );
      });
    }
    // After the run row says how it ended (a build can take a while, and a second signal may cut it
    // short). The rows a failed first load committed stay, so analysts get their indexes back now; the
    // next attempt drops them again. Should the build fail too, the next run as the owner builds them.
    await deferredIndexes?.restore().catch((restoreError: unknown) => {
      context.logger.error(
        { runId, err: describeError(restoreError) },
        "could not build the analyst indexes the first load dropped; the next run builds them",
      );
    });
    context.logger.error(
      { runId, code: error.code, err: error.message },
      `run ${status}; watermark unchanged`,
    );
    report({ type: "failed", error, elapsedMs: context.now() - startedAtMs });
    return { status, runId, error, counts };
  }
}
