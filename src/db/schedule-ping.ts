import type { Pool } from "./pool.js";

/** Resolves when the database answers a trivial query; rejects with the driver's error otherwise. */
export async function pingDatabase(pool: Pool): Promise<void> {
  await pool.query("select 1");
}
