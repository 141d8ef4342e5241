import type { Pool, PoolClient } from "./pool.js";

/** Starts the record of a state events phase; returns its id. */
export async function insertStateEventLoad(
  pool: Pool,
  runId: string,
  fromAt: Date,
  toAt: Date,
): Promise<string> {
  const result = await pool.query<{ load_id: string }>(
    `insert into state_event_loads (run_id, from_at, to_at)
     values ($1::bigint, $2::timestamptz, $3::timestamptz)
     returning load_id`,
    [runId, fromAt, toAt],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error("insert into state_event_loads returned no row");
  return row.load_id;
}

/** Adds one completed window's counts (inside the transaction that moves the watermark). */
export async function addStateEventLoadWindow(
  client: PoolClient,
  loadId: string,
  rowsReceived: number,
  rowsInserted: number,
): Promise<void> {
  await client.query(
    `update state_event_loads
        set windows = windows + 1, rows_received = rows_received + $2::int,
            rows_inserted = rows_inserted + $3::int
      where load_id = $1::bigint`,
    [loadId, rowsReceived, rowsInserted],
  );
}

/** Ends the phase's record as succeeded, or failed with the reason. */
export async function markStateEventLoadEnded(
  pool: Pool,
  loadId: string,
  outcome: { status: "succeeded" } | { status: "failed"; errorCode: string; errorMessage: string },
): Promise<void> {
  await pool.query(
    `update state_event_loads
        set status = $2::text, finished_at = now(), error_code = $3::text, error_message = $4::text
      where load_id = $1::bigint and status = 'running'`,
    [
      loadId,
      outcome.status,
      outcome.status === "failed" ? outcome.errorCode : null,
      outcome.status === "failed" ? outcome.errorMessage : null,
    ],
  );
}
