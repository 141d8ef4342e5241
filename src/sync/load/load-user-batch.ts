import type { Logger } from "../../logger.js";
import type { Pool } from "../../db/pool.js";
import { setAsynchronousCommit, withTransaction } from "../../db/pool.js";
import { setHistoryVersionAt } from "../../db/history-version.js";
import { insertRejects } from "../../db/sync-rejects.js";
import { addRunCounts, type RunCounts } from "../../db/sync-runs.js";
import type { ListedUsers } from "./listed-users.js";
import { compareBatch } from "./compare-batch.js";
import type { LoadMode } from "./plan-load.js";
import type { UserBatch } from "./user-batch.js";
import { withDatabaseRetries } from "../../db/with-database-retries.js";
import { prepareWrite, writeChangedUsers, type PreparedWrite } from "./write-changed-users.js";
import { describeError, findSqlState, sqlState } from "../../errors.js";

export interface LoadDeps {
  readonly pool: Pool;
  readonly runId: string;
  readonly grantTimezone: string;
  readonly mode: LoadMode;
  readonly listed: ListedUsers | undefined;
  /** SYNC_HISTORY: version what the batch writes (zephr.user_versions, …) at the run's export start. */
  readonly history: boolean;
  /** Retries of a batch after a transient database error (serialization failure, deadlock, lost connection). */
  readonly retries: number;
  readonly retryMinMs: number;
  readonly logger: Logger;
}

/**
 * Loads one batch in one transaction, once `previous` (the load of the batch before) has ended: the
 * users that changed (compareBatch), then their attributes and grants, the rejects, and the run's
 * counters, by one write plan (prepareWrite): new users by COPY, stored ones upserted, and (SYNC_HISTORY)
 * the versions of what changed, which the history triggers write. Either all of it commits or none of it
 * does; transient database errors retry the whole transaction.
 */
export async function loadUserBatch(
  deps: LoadDeps,
  batch: UserBatch,
  previous: Promise<void>,
): Promise<RunCounts> {
  const { changed, stored, rejects } = await withDatabaseRetries(
    deps,
    "comparing a batch with the warehouse",
    () =>
      compareBatch(
        { client: deps.pool, grantTimezone: deps.grantTimezone, mode: deps.mode, listed: deps.listed },
        batch,
      ),
  );
  // The elements are not needed any more (a retry below reuses what was derived from them).
  batch.keyed.clear();
  batch.unkeyed.length = 0;
  // Encoded now, while the batch before may still be writing: the writes are the run's bottleneck.
  const prepared = await prepareWrite(changed, stored, deps.runId, "copy-new");
  const rejectsJson = rejects.length > 0 ? JSON.stringify(rejects) : undefined;
  // Batches are written in the order they arrived.
  await previous;

  const attempt = (write: PreparedWrite) =>
    withTransaction(deps.pool, async (client) => {
      // Batches commit without waiting for the WAL flush: the run's final commit (which moves the
      // watermark) waits for its own, and WAL is flushed in order, so a crash can only lose batches of a
      // run whose watermark did not move, which the next run loads again.
      await setAsynchronousCommit(client);
      if (deps.history) await setHistoryVersionAt(client, deps.runId);
      const written = await writeChangedUsers(client, write);
      if (rejectsJson !== undefined) await insertRejects(client, deps.runId, rejectsJson);
      const counts: RunCounts = {
        pages: batch.pages,
        bytes: batch.bytes,
        usersReceived: batch.received,
        ...written,
        rejected: rejects.length,
      };
      await addRunCounts(client, deps.runId, counts);
      return counts;
    });

  const load = async () => {
    try {
      return await attempt(prepared);
    } catch (error) {
      // A row of a user the comparison did not find was there after all: a user listed twice in a first
      // load, rows left behind by a truncate or written by someone else meanwhile. Upsert the whole
      // batch instead.
      if (findSqlState(error) !== sqlState.uniqueViolation) throw error;
      deps.logger.info(
        { err: describeError(error) },
        "a new row of the batch existed already; upserting the batch",
      );
      return attempt(await prepareWrite(changed, stored, deps.runId, "upsert-all"));
    }
  };
  return withDatabaseRetries(deps, "loading a batch of users", load);
}
