import type { PoolClient } from "./pool.js";

/**
 * A dry run's list of users the export listed, in a temporary table of its own session: nothing the
 * warehouse keeps is written.
 */
export async function createDryRunSeen(client: PoolClient): Promise<void> {
  await client.query(`create temporary table if not exists dry_run_seen (user_id uuid primary key)`);
  await client.query(`truncate dry_run_seen`);
}

export async function addDryRunSeen(client: PoolClient, userIds: readonly string[]): Promise<void> {
  await client.query(`insert into dry_run_seen (user_id) select unnest($1::uuid[]) on conflict do nothing`, [
    userIds,
  ]);
}

/** Live users the dry run's export did not list. */
export async function countDryRunUnseen(client: PoolClient): Promise<number> {
  const result = await client.query<{ unseen: string }>(
    `select count(*) as unseen from zephr.users u
      where u.deleted_at is null and not exists (select 1 from dry_run_seen s where s.user_id = u.user_id)`,
  );
  return Number(result.rows[0]?.unseen ?? 0);
}
