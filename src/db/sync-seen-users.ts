import type { PoolClient } from "./pool.js";

/** Notes users a full export listed (ids may repeat across calls; duplicates are ignored). */
export async function recordSeenUsers(
  client: PoolClient,
  runId: string,
  userIds: readonly string[],
): Promise<void> {
  await client.query(
    `insert into zephr.sync_seen_users (run_id, user_id)
     select $1::bigint, u.user_id from unnest($2::uuid[]) as u(user_id)
     on conflict do nothing`,
    [runId, userIds],
  );
}

export interface UnseenCount {
  readonly live: number;
  readonly unseen: number;
}

/** Live users, and how many of them the run's export did not list. */
export async function countUnseenUsers(client: PoolClient, runId: string): Promise<UnseenCount> {
  const result = await client.query<{ live: string; unseen: string }>(
    `select count(*) as live,
            count(*) filter (where not exists (
              select 1 from zephr.sync_seen_users s where s.run_id = $1::bigint and s.user_id = u.user_id)) as unseen
       from zephr.users u
      where u.deleted_at is null`,
    [runId],
  );
  return { live: Number(result.rows[0]?.live ?? 0), unseen: Number(result.rows[0]?.unseen ?? 0) };
}

/** Marks live users the run's complete export did not list as deleted; returns how many. */
export async function markUnseenUsersDeleted(client: PoolClient, runId: string): Promise<number> {
  const result = await client.query(
    `update zephr.users u
        set deleted_at = now(), last_changed_at = now(), last_changed_run_id = $1::bigint
      where u.deleted_at is null
        and not exists (select 1 from zephr.sync_seen_users s where s.run_id = $1::bigint and s.user_id = u.user_id)`,
    [runId],
  );
  return result.rowCount ?? 0;
}

/** Empties the run's scratch list (also cleans up after runs that died before doing it). */
export async function clearSeenUsers(client: PoolClient, runId: string): Promise<void> {
  await client.query(`delete from zephr.sync_seen_users where run_id <= $1::bigint`, [runId]);
}
