import type { Pool } from "./pool.js";

export interface BackfillRow {
  readonly backfillId: string;
  readonly registeredSinceAt: Date;
  readonly registeredBeforeAt: Date;
  /** Window length (ms). */
  readonly chunkMs: number;
  readonly nextWindowAt: Date;
  readonly status: "running" | "succeeded" | "failed" | "cancelled";
}

interface BackfillRecord {
  backfill_id: string;
  registered_since_at: Date;
  registered_before_at: Date;
  chunk_ms: string;
  next_window_at: Date;
  status: BackfillRow["status"];
}

const columns = `backfill_id, registered_since_at, registered_before_at,
  (extract(epoch from chunk) * 1000)::bigint::text as chunk_ms, next_window_at, status`;

function toRow(record: BackfillRecord): BackfillRow {
  return {
    backfillId: record.backfill_id,
    registeredSinceAt: record.registered_since_at,
    registeredBeforeAt: record.registered_before_at,
    chunkMs: Number(record.chunk_ms),
    nextWindowAt: record.next_window_at,
    status: record.status,
  };
}

export async function insertBackfill(
  pool: Pool,
  registeredSinceAt: Date,
  registeredBeforeAt: Date,
  chunkMs: number,
): Promise<BackfillRow> {
  const result = await pool.query<BackfillRecord>(
    `insert into sync_backfills (registered_since_at, registered_before_at, chunk, next_window_at)
     values ($1::timestamptz, $2::timestamptz, make_interval(secs => $3::double precision / 1000), $1::timestamptz)
     returning ${columns}`,
    [registeredSinceAt, registeredBeforeAt, chunkMs],
  );
  const record = result.rows[0];
  if (record === undefined) throw new Error("insert into sync_backfills returned no row");
  return toRow(record);
}

/** The latest backfill that has not finished, for --resume. */
export async function findResumableBackfill(pool: Pool): Promise<BackfillRow | undefined> {
  const result = await pool.query<BackfillRecord>(
    `select ${columns} from sync_backfills where status <> 'succeeded' order by created_at desc limit 1`,
  );
  const record = result.rows[0];
  return record === undefined ? undefined : toRow(record);
}

/** Moves the checkpoint past a loaded window. */
export async function advanceBackfill(pool: Pool, backfillId: string, nextWindowAt: Date): Promise<void> {
  await pool.query(
    `update sync_backfills set next_window_at = $2::timestamptz, status = 'running', updated_at = now()
      where backfill_id = $1::bigint`,
    [backfillId, nextWindowAt],
  );
}

/** Records how the backfill stopped. */
export async function endBackfill(
  pool: Pool,
  backfillId: string,
  status: "succeeded" | "failed" | "cancelled",
): Promise<void> {
  await pool.query(
    `update sync_backfills set status = $2::text, updated_at = now(), finished_at = now()
      where backfill_id = $1::bigint`,
    [backfillId, status],
  );
}
