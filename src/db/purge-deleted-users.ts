import type { PoolClient } from "./pool.js";

/**
 * Removes users marked deleted, with their attributes and grants (a trigger deletes those): for erasure
 * requests. Returns how many users were removed.
 */
export async function purgeDeletedUsers(client: PoolClient): Promise<number> {
  const result = await client.query(`delete from users where deleted_at is not null`);
  return result.rowCount ?? 0;
}
