import {
  advanceBackfill,
  endBackfill,
  findResumableBackfill,
  insertBackfill,
  type BackfillRow,
} from "../../db/sync-backfills.js";
import { addCounts } from "../load/add-counts.js";
import { zeroCounts, type RunCounts } from "../../db/sync-runs.js";
import { SyncError } from "../../errors.js";
import { planBackfillWindows } from "./plan-windows.js";
import { runWindow, type RunWindowContext, type WindowOutcome } from "./run-window.js";
import { readWindowPages, type ZephrPagesContext } from "./read-window-pages.js";

export interface BackfillOutcome {
  readonly last: WindowOutcome;
  readonly backfill: BackfillRow;
  readonly windows: number;
  readonly counts: RunCounts;
}

/**
 * Walks a registration range window by window, one run each, moving the backfill's checkpoint after
 * every window that succeeded: a failure stops the walk, and `backfill --resume` continues from there.
 * The incremental watermark is never touched.
 */
export async function runRegisteredBackfill(
  context: RunWindowContext & ZephrPagesContext,
  request: { registeredSince: Date; registeredBefore: Date; chunkMs: number } | "resume",
): Promise<BackfillOutcome> {
  const { pool } = context;
  let backfill: BackfillRow | undefined;
  if (request === "resume") {
    backfill = await findResumableBackfill(pool);
    if (backfill === undefined) {
      throw new SyncError("NOTHING_TO_RESUME", "There is no unfinished registration backfill to resume.");
    }
    context.logger.info(
      { backfillId: backfill.backfillId, from: backfill.nextWindowAt.toISOString() },
      "resuming backfill",
    );
  } else {
    backfill = await insertBackfill(pool, request.registeredSince, request.registeredBefore, request.chunkMs);
  }
  let counts = zeroCounts;
  let windows = 0;
  let last: WindowOutcome | undefined;
  for (const spec of planBackfillWindows(backfill)) {
    last = await runWindow(context, spec, readWindowPages(context, spec));
    counts = addCounts(counts, last.counts);
    windows += 1;
    if (last.status !== "succeeded") {
      await endBackfill(pool, backfill.backfillId, last.status);
      return { last, backfill, windows, counts };
    }
    await advanceBackfill(
      pool,
      backfill.backfillId,
      spec.window.registeredBeforeAt ?? backfill.registeredBeforeAt,
    );
  }
  await endBackfill(pool, backfill.backfillId, "succeeded");
  if (last === undefined) {
    throw new SyncError(
      "NOTHING_TO_RESUME",
      "The backfill had no window left to load; it is now marked succeeded.",
    );
  }
  return { last, backfill, windows, counts };
}
