import type { PoolClient } from "./pool.js";

/**
 * Inside a transaction that writes users or grants: versions what it writes at the export start of
 * `runId` (zephr.sync_runs.export_started_at, the instant the watermark uses; for a run that has none,
 * such as a load of files that state no instant, the run's own start, when what it loads became known)
 * by setting the transaction-local zephr_sync.version_at, which the history triggers of migration
 * 1765202400000 read. A transaction that does not call it records no history (SYNC_HISTORY=false).
 */
export async function setHistoryVersionAt(client: PoolClient, runId: string): Promise<void> {
  const result = await client.query<{ version_at: string | null }>(
    `select set_config('zephr_sync.version_at', coalesce(export_started_at, started_at)::text, true) as version_at
       from sync_runs
      where run_id = $1::bigint`,
    [runId],
  );
  if (result.rows.length === 0) {
    throw new Error(`run ${runId} is not in sync_runs: history cannot date what it writes`);
  }
}
