import type { BackfillRow } from "../../db/sync-backfills.js";
import { fullWindow, type RunKind, type RunWindow } from "../../db/sync-runs.js";
import type { SyncRequest } from "./sync-request.js";

/** What one run row covers and what its success does to the watermark. */
export interface WindowSpec {
  readonly kind: RunKind;
  readonly window: RunWindow;
  readonly backfillId: string | null;
  /** A complete export: users it did not list are marked deleted (and their data purged if asked). */
  readonly reconcile: { readonly purgeDeleted: boolean } | undefined;
  /** set: the export start becomes the watermark; forward: only if later; keep: untouched. */
  readonly watermark: "set" | "forward" | "keep";
}

/**
 * The one export window of an incremental, full or since request: what `run`, `backfill --full`,
 * `backfill --since` and their dry runs all load. Incremental: users updated since the watermark minus
 * SYNC_LOOKBACK, or, with no watermark yet, a complete export (which may move the watermark forward only).
 */
export function planWindow(
  request: Extract<SyncRequest, { kind: "incremental" | "full" | "since" }>,
  watermark: Date | null,
  lookbackMs: number,
): WindowSpec {
  switch (request.kind) {
    case "incremental":
      if (watermark === null) return fullSpec(false);
      return {
        kind: "incremental",
        window: { ...fullWindow, sinceAt: new Date(watermark.getTime() - lookbackMs) },
        backfillId: null,
        reconcile: undefined,
        watermark: "set",
      };
    case "full":
      return fullSpec(request.purgeDeleted === true);
    case "since":
      return {
        kind: "backfill",
        window: { ...fullWindow, sinceAt: request.since },
        backfillId: null,
        reconcile: undefined,
        watermark: "keep",
      };
  }
}

function fullSpec(purgeDeleted: boolean): WindowSpec {
  return {
    kind: "full",
    window: fullWindow,
    backfillId: null,
    reconcile: { purgeDeleted },
    watermark: "forward",
  };
}

/**
 * The registration windows a backfill still has to load: [start, start + chunk) … up to its end, from
 * its checkpoint on. Each is a run of its own that leaves the incremental watermark alone.
 */
export function planBackfillWindows(backfill: BackfillRow): WindowSpec[] {
  const windows: WindowSpec[] = [];
  const endMs = backfill.registeredBeforeAt.getTime();
  for (let startMs = backfill.nextWindowAt.getTime(); startMs < endMs; startMs += backfill.chunkMs) {
    windows.push({
      kind: "backfill",
      window: {
        sinceAt: null,
        registeredSinceAt: new Date(startMs),
        registeredBeforeAt: new Date(Math.min(startMs + backfill.chunkMs, endMs)),
      },
      backfillId: backfill.backfillId,
      reconcile: undefined,
      watermark: "keep",
    });
  }
  return windows;
}
