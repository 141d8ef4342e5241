import type { Pool, PoolClient } from "./pool.js";

/**
 * Ids of live (not deleted) users after `afterId` in id order, at most `limit`: keyset paging over the
 * primary key, so reading a million ids costs no sort and holds no cursor.
 */
export async function listLiveUserIdsAfter(
  client: Pool | PoolClient,
  afterId: string | null,
  limit: number,
): Promise<string[]> {
  const result = await client.query<{ user_id: string }>(
    `select user_id from users
      where deleted_at is null and ($1::uuid is null or user_id > $1::uuid)
      order by user_id
      limit $2::int`,
    [afterId, limit],
  );
  return result.rows.map((row) => row.user_id);
}

/**
 * Marks the given live users deleted; returns how many. With the transaction's history instant set
 * (setHistoryVersionAt), their versions and their grants' versions end at it (the history triggers).
 */
export async function markUsersDeleted(
  client: PoolClient,
  userIds: readonly string[],
  runId: string,
): Promise<number> {
  const result = await client.query(
    `update users
        set deleted_at = now(), last_changed_at = now(), last_changed_run_id = $2::bigint
      where user_id = any($1::uuid[]) and deleted_at is null`,
    [userIds, runId],
  );
  return result.rowCount ?? 0;
}

/** How many users are not marked deleted. */
export async function countLiveUsers(client: Pool | PoolClient): Promise<number> {
  const result = await client.query<{ live: string }>(
    `select count(*) as live from users where deleted_at is null`,
  );
  return Number(result.rows[0]?.live ?? 0);
}

/** Whether users holds no row at all, deleted users included. */
export async function holdsNoUser(client: Pool | PoolClient): Promise<boolean> {
  const result = await client.query<{ empty: boolean }>(`select not exists (select from users) as empty`);
  return result.rows[0]?.empty ?? false;
}
