import type { Pool } from "./pool.js";

/**
 * Inserts state events (JSON array of StateEventRecord) in one statement; rows whose row_hash is already
 * stored are skipped, so overlapping and repeated windows add nothing. Returns how many were new.
 */
export async function insertStateEvents(pool: Pool, eventsJson: string, runId: string): Promise<number> {
  const result = await pool.query(
    `insert into user_state_events (
       row_hash, user_id, event_type, state, previous_state, product_id, occurred_at, row, run_id)
     select decode(t.row_hash, 'hex'), t.user_id, t.event_type, t.state, t.previous_state, t.product_id,
            t.occurred_at, t.row, $2::bigint
       from json_to_recordset($1::json) as t(
              row_hash text, user_id uuid, event_type text, state text, previous_state text,
              product_id text, occurred_at timestamptz, row jsonb)
     on conflict (row_hash) do nothing`,
    [eventsJson, runId],
  );
  return result.rowCount ?? 0;
}
