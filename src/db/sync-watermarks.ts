import type { Pool, PoolClient } from "./pool.js";

/** The export stream the user sync checkpoints. */
export const usersStream = "users";

/** The watermark of a stream, or null before the first complete export. */
export async function findWatermark(pool: Pool | PoolClient, stream: string): Promise<Date | null> {
  const result = await pool.query<{ watermark_at: Date }>(
    `select watermark_at from sync_watermarks where stream = $1::text`,
    [stream],
  );
  return result.rows[0]?.watermark_at ?? null;
}

/** Sets a stream's watermark (inside the transaction that marks the run succeeded). */
export async function saveWatermark(
  client: PoolClient,
  stream: string,
  watermarkAt: Date,
  runId: string,
): Promise<void> {
  await client.query(
    `insert into sync_watermarks (stream, watermark_at, run_id, updated_at)
     values ($1::text, $2::timestamptz, $3::bigint, now())
     on conflict (stream) do update
       set watermark_at = excluded.watermark_at, run_id = excluded.run_id, updated_at = excluded.updated_at`,
    [stream, watermarkAt, runId],
  );
}
