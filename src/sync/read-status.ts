import type { Pool } from "../db/pool.js";
import { countTableRows, type TableCounts } from "../db/table-counts.js";
import { listRecentRuns, type RunRow } from "../db/sync-runs.js";
import { findLastSuccessFinishedAt } from "../db/schedule-last-success.js";
import { findWatermark, usersStream } from "../db/sync-watermarks.js";
import { toDatabaseError } from "./database-errors.js";
import { SyncError, findSqlState } from "../errors.js";

export interface SyncStatus {
  readonly watermark: Date | null;
  /**
   * When the latest successful incremental or full run finished: backfills do not make the warehouse
   * fresh, so they do not count (for `--max-age` either).
   */
  readonly lastSuccessAt: Date | null;
  readonly runs: readonly RunRow[];
  readonly tables: TableCounts;
}

/** Everything `status` shows: read-only, three statements. */
export async function readStatus(pool: Pool, runLimit: number): Promise<SyncStatus> {
  try {
    const [watermark, runs, tables, lastSuccess] = await Promise.all([
      findWatermark(pool, usersStream),
      listRecentRuns(pool, runLimit),
      countTableRows(pool),
      findLastSuccessFinishedAt(pool, ["incremental", "full"]),
    ]);
    return { watermark, lastSuccessAt: lastSuccess ?? null, runs, tables };
  } catch (error) {
    if (findSqlState(error) === "42P01" || findSqlState(error) === "3F000") {
      throw new SyncError(
        "DB_ERROR",
        "The zephr schema is not there yet: run 'zephr-sync migrate' (or a first 'zephr-sync run', which migrates).",
        { cause: error },
      );
    }
    throw toDatabaseError(error, "reading the status");
  }
}
