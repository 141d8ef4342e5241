import type { Pool } from "../../db/pool.js";
import { countTableRows, type TableCounts } from "../../db/table-counts.js";
import { listRecentRuns, type RunRow } from "../../db/sync-runs.js";
import { findLastSuccessFinishedAt } from "../../db/schedule-last-success.js";
import { findWatermark, usersStream } from "../../db/sync-watermarks.js";
import { findTenantBinding } from "../../db/sync-tenant.js";
import { toDatabaseError } from "../../db/database-errors.js";
import { SyncError, findSqlState, sqlState } from "../../errors.js";

export interface SyncStatus {
  readonly watermark: Date | null;
  /**
   * When the latest successful incremental or full run finished: backfills do not make the warehouse
   * fresh, so they do not count (for `--max-age` either).
   */
  readonly lastSuccessAt: Date | null;
  readonly runs: readonly RunRow[];
  readonly tables: TableCounts;
  /** The Zephr tenant (normalized ZEPHR_BASE_URL) the warehouse mirrors; null before its first run. */
  readonly tenant: { readonly baseUrl: string; readonly boundAt: Date } | null;
}

/** The tenant, or null also when the migration that records it has not been applied yet. */
async function findTenant(pool: Pool): Promise<SyncStatus["tenant"]> {
  try {
    const binding = await findTenantBinding(pool);
    return binding === null ? null : { baseUrl: binding.baseUrl, boundAt: binding.boundAt };
  } catch (error) {
    if (findSqlState(error) === sqlState.undefinedTable) return null;
    throw error;
  }
}

/** Everything `status` shows: read-only statements. */
export async function readStatus(pool: Pool, runLimit: number): Promise<SyncStatus> {
  try {
    const [watermark, runs, tables, lastSuccess, tenant] = await Promise.all([
      findWatermark(pool, usersStream),
      listRecentRuns(pool, runLimit),
      countTableRows(pool),
      findLastSuccessFinishedAt(pool, ["incremental", "full"]),
      findTenant(pool),
    ]);
    return { watermark, lastSuccessAt: lastSuccess ?? null, runs, tables, tenant };
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
