import type { RunCounts, RunKind } from "../../db/sync-runs.js";
import type { SyncError } from "../../errors.js";
import type { StateEventsProgressEvent } from "../state-events/state-events-progress.js";

/**
 * What a run reports while it works, in the phases Zephr's own console uses ("Preparing user export…",
 * "Downloading…", "Export complete!"). Renderers decide how to show them (a terminal line, log lines).
 */
export type SyncProgressEvent =
  | {
      readonly type: "preparing";
      readonly runId: string;
      readonly kind: RunKind;
      readonly sinceAt: Date | null;
    }
  | {
      readonly type: "downloading";
      readonly bytes: number;
      readonly pages: number;
      readonly users: number;
      /** Users the export will deliver in all, when the envelope said (meta.count). */
      readonly expectedUsers: number | undefined;
      /** Bytes the source will deliver in all, when known (the size of the files a load reads). */
      readonly totalBytes?: number | undefined;
      readonly elapsedMs: number;
    }
  | { readonly type: "retrying"; readonly page: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: "complete"; readonly counts: RunCounts; readonly elapsedMs: number }
  | { readonly type: "failed"; readonly error: SyncError; readonly elapsedMs: number }
  | StateEventsProgressEvent;

export type SyncProgressListener = (event: SyncProgressEvent) => void;
