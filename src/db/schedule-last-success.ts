import type { Pool } from "./pool.js";
import type { RunKind } from "./sync-runs.js";

/**
 * When the latest succeeded run of one of `kinds` finished, or undefined when none did. Runs never
 * overlap (the run lock), so the latest started is also the latest finished; ordering by started_at lets
 * sync_runs_status_started_at_idx answer it.
 */
export async function findLastSuccessFinishedAt(
  pool: Pool,
  kinds: readonly RunKind[],
): Promise<Date | undefined> {
  const result = await pool.query<{ finished_at: Date | null }>(
    `select finished_at from sync_runs
      where status = 'succeeded' and kind = any($1::text[])
      order by started_at desc
      limit 1`,
    [kinds],
  );
  return result.rows[0]?.finished_at ?? undefined;
}
