import {
  advanceBackfill,
  endBackfill,
  findResumableBackfill,
  insertBackfill,
  type BackfillRow,
} from "../../db/sync-backfills.js";
import { addCounts } from "./run-counts.js";
import { zeroCounts, type RunCounts } from "../../db/sync-runs.js";
import { SyncError } from "../../errors.js";
import { runWindow, type RunWindowContext, type WindowOutcome } from "./run-window.js";

export interface BackfillOutcome {
  readonly last: WindowOutcome;
  readonly backfill: BackfillRow;
  readonly windows: number;
  readonly counts: RunCounts;
}

/** The registration windows still to load: [start, start + chunk) … up to registeredBeforeAt. */
export function remainingWindows(backfill: BackfillRow): { since: Date; before: Date }[] {
  const windows: { since: Date; before: Date }[] = [];
  const endMs = backfill.registeredBeforeAt.getTime();
  for (let startMs = backfill.nextWindowAt.getTime(); startMs < endMs; startMs += backfill.chunkMs) {
    windows.push({ since: new Date(startMs), before: new Date(Math.min(startMs + backfill.chunkMs, endMs)) });
  }
  return windows;
}

/**
 * Walks a registration range window by window, one run each, moving the backfill's checkpoint after
 * every window that succeeded: a failure stops the walk, and `backfill --resume` continues from there.
 * The incremental watermark is never touched.
 */
export async function runRegisteredBackfill(
  context: RunWindowContext,
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
  for (const window of remainingWindows(backfill)) {
    last = await runWindow(context, {
      kind: "backfill",
      window: { sinceAt: null, registeredSinceAt: window.since, registeredBeforeAt: window.before },
      backfillId: backfill.backfillId,
      reconcile: undefined,
      watermark: "keep",
    });
    counts = addCounts(counts, last.counts);
    windows += 1;
    if (last.status !== "succeeded") {
      await endBackfill(pool, backfill.backfillId, last.status);
      return { last, backfill, windows, counts };
    }
    await advanceBackfill(pool, backfill.backfillId, window.before);
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
