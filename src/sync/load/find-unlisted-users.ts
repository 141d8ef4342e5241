import type { Pool, PoolClient } from "../../db/pool.js";
import { listLiveUserIdsAfter } from "../../db/live-users.js";

export interface UnlistedUsers {
  /** Live users in the warehouse. */
  readonly live: number;
  /** Live users the export did not list. */
  readonly unlisted: number;
  /** Their ids, up to `keepAtMost` (the rest are only counted). */
  readonly ids: readonly string[];
}

/**
 * Compares every live user of the warehouse with the ids a complete export listed, reading the ids in
 * pages of the primary key: nothing is written, and memory holds only the unlisted ids kept.
 */
export async function findUnlistedUsers(
  client: Pool | PoolClient,
  listed: { has(id: string): boolean },
  keepAtMost: number,
): Promise<UnlistedUsers> {
  const pageSize = 20_000;
  let live = 0;
  let unlisted = 0;
  const ids: string[] = [];
  for (let after: string | null = null; ;) {
    const page = await listLiveUserIdsAfter(client, after, pageSize);
    for (const id of page) {
      if (listed.has(id)) continue;
      unlisted += 1;
      if (ids.length < keepAtMost) ids.push(id);
    }
    live += page.length;
    if (page.length < pageSize) break;
    after = page[page.length - 1] ?? null;
  }
  return { live, unlisted, ids };
}
