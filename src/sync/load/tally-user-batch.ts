import type { Pool } from "../../db/pool.js";
import { compareBatch } from "./compare-batch.js";
import type { ListedUsers } from "./listed-users.js";
import type { LoadMode } from "./plan-load.js";
import type { UserBatch } from "./user-batch.js";

/** What a dry run counts of one batch: what its load would have written. */
export interface BatchTally {
  readonly pages: number;
  readonly bytes: number;
  readonly usersReceived: number;
  readonly newUsers: number;
  readonly changedUsers: number;
  readonly unchangedUsers: number;
  readonly rejected: number;
}

export const zeroTally: BatchTally = {
  pages: 0,
  bytes: 0,
  usersReceived: 0,
  newUsers: 0,
  changedUsers: 0,
  unchangedUsers: 0,
  rejected: 0,
};

/** A dry run's load of one batch: the same comparison as loadUserBatch, counted instead of written. */
export async function tallyUserBatch(
  deps: {
    readonly pool: Pool;
    readonly grantTimezone: string;
    readonly mode: LoadMode;
    readonly listed: ListedUsers | undefined;
  },
  batch: UserBatch,
): Promise<BatchTally> {
  const { changed, stored, unchanged, rejects } = await compareBatch(
    { client: deps.pool, grantTimezone: deps.grantTimezone, mode: deps.mode, listed: deps.listed },
    batch,
  );
  return {
    pages: batch.pages,
    bytes: batch.bytes,
    usersReceived: batch.received,
    newUsers: changed.length - stored.size,
    changedUsers: stored.size,
    unchangedUsers: unchanged,
    rejected: rejects.length,
  };
}
