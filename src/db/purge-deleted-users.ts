import type { PoolClient } from "./pool.js";

/**
 * Removes users marked deleted, with their attributes and grants and every version of them in
 * user_versions and user_grant_versions (triggers delete those, whether or not SYNC_HISTORY is on): for
 * erasure requests. Returns how many users were removed.
 */
export async function purgeDeletedUsers(client: PoolClient): Promise<number> {
  const result = await client.query(`delete from users where deleted_at is not null`);
  return result.rowCount ?? 0;
}
