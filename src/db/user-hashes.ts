import type { Pool, PoolClient } from "./pool.js";

export interface StoredHash {
  readonly hash: string;
  readonly deleted: boolean;
}

/** Stored content hashes (hex) of the given users; users not in the warehouse are absent from the map. */
export async function findUserHashes(
  client: Pool | PoolClient,
  userIds: readonly string[],
): Promise<Map<string, StoredHash>> {
  if (userIds.length === 0) return new Map();
  const result = await client.query<{ user_id: string; hash: string; deleted: boolean }>(
    `select user_id, encode(content_hash, 'hex') as hash, deleted_at is not null as deleted
       from users where user_id = any($1::uuid[])`,
    [userIds],
  );
  return new Map(result.rows.map((row) => [row.user_id, { hash: row.hash, deleted: row.deleted }]));
}
