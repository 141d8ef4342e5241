import type { BatchTally } from "../load/tally-user-batch.js";
import type { ExportFile } from "../../zephr/export/read-export-files.js";

/** What a caller asks of runSync. */
export type SyncRequest =
  /** The nightly job: users updated since the watermark minus the lookback (a full export the first time). */
  | { readonly kind: "incremental" }
  /** A complete export; afterwards users it did not list are marked deleted (and purged if asked). */
  | { readonly kind: "full"; readonly purgeDeleted?: boolean; readonly dryRun?: boolean }
  /** Re-export users updated since an instant; the watermark does not move. */
  | { readonly kind: "since"; readonly since: Date; readonly dryRun?: boolean }
  /** Walk a registration range in windows of chunkMs, checkpointing each window. */
  | {
      readonly kind: "registered";
      readonly registeredSince: Date;
      readonly registeredBefore: Date;
      readonly chunkMs: number;
      readonly dryRun?: boolean;
    }
  /** Continue the latest unfinished registration backfill from its checkpoint. */
  | { readonly kind: "resume" };

/** What a dry run found: it fetched, parsed and validated everything and wrote nothing. */
export interface DryRunReport extends BatchTally {
  /** Full exports only: live users the export did not list, who would be marked deleted. */
  readonly wouldMarkDeleted: number | undefined;
}

/**
 * `zephr-sync load FILE…`: export files (the Admin Console's download, saved API pages) loaded in one
 * run of kind `file` (runFileLoad). `full`: they are a complete export (users they do not list are
 * marked deleted); `exportedAt`: when they were exported, which moves the watermark (forward only).
 */
export interface FileLoadRequest {
  readonly kind: "file";
  readonly files: readonly ExportFile[];
  readonly full: boolean;
  readonly purgeDeleted: boolean;
  readonly exportedAt: Date | undefined;
  readonly dryRun: boolean;
}
