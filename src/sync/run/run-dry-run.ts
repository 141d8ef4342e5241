import { findWatermark, usersStream } from "../../db/sync-watermarks.js";
import { SyncError } from "../../errors.js";
import type { ExportEvent } from "../../zephr/export/export-pages.js";
import { createZephrAgent } from "../../zephr/http/open-export-page.js";
import { BatchLoader } from "../load/batch-loader.js";
import { findUnlistedUsers } from "../load/find-unlisted-users.js";
import { planLoad } from "../load/plan-load.js";
import { addCounts } from "../load/add-counts.js";
import { tallyUserBatch, zeroTally, type BatchTally } from "../load/tally-user-batch.js";
import { planBackfillWindows, planWindow, type WindowSpec } from "./plan-windows.js";
import { readCaFile } from "../read-ca-file.js";
import type { SyncDeps } from "./sync-deps.js";
import { streamExport, type StreamSettings } from "./stream-export.js";
import type { DryRunReport, SyncRequest } from "./sync-request.js";
import { readWindowPages } from "./read-window-pages.js";
import type { SyncProgressListener } from "./sync-progress.js";

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
  const { config } = deps;
  const agent = createZephrAgent(config.zephr.baseUrl, readCaFile(config.zephr.caFile));
  try {
    let tally: BatchTally = zeroTally;
    let wouldMarkDeleted: number | undefined;
    for (const spec of await planDryRun(deps, request)) {
      const pages = readWindowPages({ ...deps, agent, signal: deps.signal }, spec);
      const { wouldMarkDeleted: unlisted, ...window } = await tallyWindow(deps, spec, pages);
      tally = addCounts(tally, window);
      wouldMarkDeleted = unlisted ?? wouldMarkDeleted;
    }
    return { ...tally, wouldMarkDeleted };
  } finally {
    agent.destroy();
  }
}

/** What a dry run of one window reads: streaming's settings, the pool and what tests inject. */
export interface DryRunDeps {
  readonly config: StreamSettings;
  readonly pool: SyncDeps["pool"];
  readonly logger: SyncDeps["logger"];
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: SyncProgressListener;
}

/**
 * Streams one window's pages (from Zephr or from files) through the comparison its load would make,
 * counting instead of writing; for a complete export, also who would be marked deleted.
 */
export async function tallyWindow(
  deps: DryRunDeps,
  spec: WindowSpec,
  pages: AsyncIterable<ExportEvent>,
): Promise<DryRunReport> {
  const { config, pool } = deps;
  const logger = deps.logger.child({ dryRun: true });
  let tally = zeroTally;
  const plan = await planLoad(pool, logger, { complete: spec.reconcile !== undefined, writes: false });
  const loader = new BatchLoader(
    config.batchSize,
    (batch) =>
      tallyUserBatch(
        { pool, grantTimezone: config.zephr.grantTimezone, mode: plan.mode, listed: plan.listed },
        batch,
      ),
    (counted: BatchTally) => {
      tally = addCounts(tally, counted);
    },
  );
  const context = {
    config,
    logger,
    now: deps.now,
    sleep: deps.sleep,
    signal: deps.signal,
    report: deps.onProgress ?? (() => undefined),
    checkStillOwned: () => undefined,
  };
  await streamExport(context, pages, loader, {
    listed: plan.listed,
    onExportStarted: () => Promise.resolve(),
    onStatedCount: () => Promise.resolve(),
  });
  const wouldMarkDeleted =
    spec.reconcile === undefined
      ? undefined
      : plan.listed === undefined
        ? 0
        : (await findUnlistedUsers(pool, plan.listed, 0)).unlisted;
  return { ...tally, wouldMarkDeleted };
}
