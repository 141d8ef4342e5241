import type { BackfillRow } from "../../db/sync-backfills.js";
import { fullWindow, type RunFile, type RunKind, type RunWindow } from "../../db/sync-runs.js";
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
  /** `file` runs: the files the run row names. */
  readonly files?: readonly RunFile[];
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

/**
 * The one run of a load of export files: never a window of the API. It reconciles deletions only when
 * the files are said to be complete (`--full`), and moves the watermark only when told when they were
 * exported (`--exported-at`), then only forward: a file's start is its user's word, not Zephr's clock.
 */
export function planFileWindow(request: {
  readonly full: boolean;
  readonly purgeDeleted: boolean;
  readonly exportedAt: Date | undefined;
  readonly files: readonly RunFile[];
}): WindowSpec {
  return {
    kind: "file",
    window: fullWindow,
    backfillId: null,
    reconcile: request.full ? { purgeDeleted: request.purgeDeleted } : undefined,
    watermark: request.exportedAt === undefined ? "keep" : "forward",
    files: request.files,
  };
}
