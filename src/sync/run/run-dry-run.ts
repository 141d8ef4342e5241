import { findWatermark, usersStream } from "../../db/sync-watermarks.js";
import { SyncError } from "../../errors.js";
import { readExportPages } from "../../zephr/export/export-pages.js";
import { createZephrAgent } from "../../zephr/http/open-export-page.js";
import { BatchLoader } from "../load/batch-loader.js";
import { findUnlistedUsers } from "../load/find-unlisted-users.js";
import { planLoad } from "../load/plan-load.js";
import { addTally, tallyUserBatch, zeroTally, type BatchTally } from "../load/tally-user-batch.js";
import { planBackfillWindows, planWindow, type WindowSpec } from "./plan-windows.js";
import { readCaFile } from "../read-ca-file.js";
import type { SyncDeps } from "./sync-deps.js";
import { streamExport } from "./stream-export.js";
import type { DryRunReport, SyncRequest } from "./sync-request.js";
import { toExportWindow } from "./to-export-window.js";

/** The windows a request would load: the same planning as the run itself (plan-windows). */
async function planDryRun(deps: SyncDeps, request: SyncRequest): Promise<WindowSpec[]> {
  switch (request.kind) {
    case "incremental":
    case "full":
    case "since": {
      const watermark = request.kind === "incremental" ? await findWatermark(deps.pool, usersStream) : null;
      return [planWindow(request, watermark, deps.config.lookbackMs)];
    }
    case "registered":
      // The backfill a run would record, from its start.
      return planBackfillWindows({
        backfillId: "dry-run",
        registeredSinceAt: request.registeredSince,
        registeredBeforeAt: request.registeredBefore,
        chunkMs: request.chunkMs,
        nextWindowAt: request.registeredSince,
        status: "running",
      });
    case "resume":
      throw new SyncError("USAGE", "--dry-run cannot be combined with --resume.");
  }
}

/**
 * Fetches, parses and validates the export a request would load and compares it with the warehouse
 * exactly as its load would (compareBatch), writing nothing: no run row, no lock, no index dropped.
 */
export async function runDryRun(deps: SyncDeps, request: SyncRequest): Promise<DryRunReport> {
  const { config, pool } = deps;
  const logger = deps.logger.child({ dryRun: true });
  const agent = createZephrAgent(config.zephr.baseUrl, readCaFile(config.zephr.caFile));
  try {
    let tally = zeroTally;
    let wouldMarkDeleted: number | undefined;
    for (const spec of await planDryRun(deps, request)) {
      const plan = await planLoad(pool, logger, { complete: spec.reconcile !== undefined, writes: false });
      const loader = new BatchLoader(
        config.batchSize,
        (batch) =>
          tallyUserBatch(
            { pool, grantTimezone: config.zephr.grantTimezone, mode: plan.mode, listed: plan.listed },
            batch,
          ),
        (counted: BatchTally) => {
          tally = addTally(tally, counted);
        },
      );
      const context = {
        config,
        agent,
        logger,
        now: deps.now,
        sleep: deps.sleep,
        signal: deps.signal,
        report: deps.onProgress ?? (() => undefined),
        checkStillOwned: () => undefined,
      };
      const pages = readExportPages(
        config.zephr,
        toExportWindow(spec.window, config.zephr.instantPrecision),
        {
          http: { agent, now: deps.now },
          sleep: deps.sleep,
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
      );
      await streamExport(context, pages, loader, {
        onExportStarted: () => Promise.resolve(),
        onStatedCount: () => Promise.resolve(),
      });
      if (spec.reconcile !== undefined) {
        wouldMarkDeleted =
          plan.listed === undefined ? 0 : (await findUnlistedUsers(pool, plan.listed, 0)).unlisted;
      }
    }
    return { ...tally, wouldMarkDeleted };
  } finally {
    agent.destroy();
  }
}
