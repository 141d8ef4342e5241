import pRetry from "p-retry";
import type { Logger } from "../../logger.js";
import type { Pool } from "../../db/pool.js";
import { setAsynchronousCommit, withTransaction } from "../../db/pool.js";
import { insertRejects } from "../../db/sync-rejects.js";
import { addRunCounts, type RunCounts } from "../../db/sync-runs.js";
import { findUserHashes, type StoredHash } from "../../db/user-hashes.js";
import type { NormalizedUser } from "../../db/normalized-user.js";
import { toRejectRow, type RejectRow } from "../normalize/reject-row.js";
import { validateElement } from "../normalize/validate-element.js";
import type { QueuedElement, UserBatch } from "./user-batch.js";
import type { ListedUsers } from "./listed-users.js";
import { isDatabaseFailure, isTransientDatabaseError, toDatabaseError } from "../../db/database-errors.js";
import { toUserId } from "../normalize/is-uuid.js";
import { itemsPerTurn, nextTurn } from "./next-turn.js";
import { prepareWrite, writeChangedUsers, type PreparedWrite } from "./write-changed-users.js";
import { describeError, findSqlState, sqlState } from "../../errors.js";

export interface LoadDeps {
  readonly pool: Pool;
  readonly runId: string;
  readonly grantTimezone: string;
  /**
   * zephr.users held no row when the run started (a first load): the warehouse holds only what this run
   * wrote, so batches are not looked up. A user the run wrote already (listed twice) makes the batch's
   * COPY fail, and the batch is upserted instead.
   */
  readonly startedEmpty: boolean;
  /** Full exports: every listed user id goes here (rejected ones too) for the deletion check. */
  readonly seen: ListedUsers | undefined;
  /** Retries of a batch after a transient database error (serialization failure, deadlock, lost connection). */
  readonly retries: number;
  readonly retryMinMs: number;
  readonly logger: Logger;
}

interface SortedBatch {
  readonly changed: NormalizedUser[];
  /** Ids of changed users already in the warehouse: only their old attribute and grant rows can go. */
  readonly existing: Set<string>;
  readonly rejects: RejectRow[];
}

/**
 * Compares the batch with the warehouse by content hash: unchanged users are neither normalized nor
 * written; the rest are validated into users to write or rejects.
 */
async function sortBatch(deps: LoadDeps, batch: UserBatch): Promise<SortedBatch> {
  const stored = deps.startedEmpty
    ? new Map<string, StoredHash>()
    : await findUserHashes(deps.pool, [...batch.keyed.keys()]);
  const changed: NormalizedUser[] = [];
  const existing = new Set<string>();
  const rejected: { arrival: number; row: SortedBatch["rejects"][number] }[] = [];
  /** Validates an element into `changed` or the rejects; the user id a rejected one names, if any. */
  const validate = (element: QueuedElement): { valid: boolean; rejectedId?: string } => {
    const outcome = validateElement(element.scanned, { grantTimezone: deps.grantTimezone }, element.hash);
    if (outcome.ok) {
      changed.push(outcome.user);
      return { valid: true };
    }
    const { userId, reasons } = outcome;
    rejected.push({
      arrival: element.arrival,
      row: toRejectRow(element.page, userId, reasons, element.scanned.json),
    });
    const rejectedId = toUserId(userId);
    return rejectedId === undefined ? { valid: false } : { valid: false, rejectedId };
  };
  let validated = 0;
  for (const [userId, element] of batch.keyed) {
    const found = stored.get(userId);
    const storedLive = found !== undefined && !found.deleted;
    if (found?.hash === element.hash && storedLive) {
      deps.seen?.add(userId, true);
      continue;
    }
    // Validation is the slow part (building, checking): the writes in flight get their turns.
    if (++validated % itemsPerTurn === 0) await nextTurn();
    // A stored user whose new element is rejected keeps what the warehouse has: its rows are not touched.
    const { valid } = validate(element);
    if (valid && found !== undefined) existing.add(userId);
    deps.seen?.add(userId, valid || storedLive);
  }
  for (const element of batch.unkeyed) {
    // A user with one bad field exists all the same and must not be marked deleted; whether it is live
    // was not looked up.
    const { rejectedId } = validate(element);
    if (rejectedId !== undefined) deps.seen?.add(rejectedId, false);
  }
  // Rejects keep the order they arrived in, for whoever reads zephr.sync_rejects.
  rejected.sort((a, b) => a.arrival - b.arrival);
  return { changed, existing, rejects: rejected.map((r) => r.row) };
}

/**
 * Loads one batch in one transaction, once `previous` (the load of the batch before) has ended: the
 * users that changed (by content hash), then their attributes and grants, the rejects, and the run's
 * counters. Either all of it commits or none of it does; transient database errors retry the whole
 * transaction.
 */
export async function loadUserBatch(
  deps: LoadDeps,
  batch: UserBatch,
  previous: Promise<void>,
): Promise<RunCounts> {
  const { changed, existing, rejects } = await withDatabaseRetries(
    deps,
    "comparing a batch with the warehouse",
    () => sortBatch(deps, batch),
  );
  // The elements are not needed any more (a retry below reuses what was derived from them).
  batch.keyed.clear();
  batch.unkeyed.length = 0;
  // Encoded now, while the batch before may still be writing: the writes are the run's bottleneck.
  const prepared = await prepareWrite(changed, existing, deps.runId, true);
  const rejectsJson = rejects.length > 0 ? JSON.stringify(rejects) : undefined;
  // Batches are written in the order they arrived.
  await previous;

  const attempt = (write: PreparedWrite) =>
    withTransaction(deps.pool, async (client) => {
      // Batches commit without waiting for the WAL flush: the run's final commit (which moves the
      // watermark) waits for its own, and WAL is flushed in order, so a crash can only lose batches of a
      // run whose watermark did not move, which the next run loads again.
      await setAsynchronousCommit(client);
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
      return attempt(await prepareWrite(changed, existing, deps.runId, false));
    }
  };
  return withDatabaseRetries(deps, "loading a batch of users", load);
}

async function withDatabaseRetries<T>(deps: LoadDeps, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await pRetry(fn, {
      retries: deps.retries,
      minTimeout: deps.retryMinMs,
      randomize: true,
      shouldRetry: ({ error }) => isTransientDatabaseError(error),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0 && isTransientDatabaseError(error)) {
          deps.logger.warn({ attempt: attemptNumber, err: error.message }, `${doing} failed; retrying`);
        }
      },
    });
  } catch (error) {
    // Anything else is a bug, reported as such where the run fails (toSyncError), not as DB_ERROR.
    throw isDatabaseFailure(error) ? toDatabaseError(error, doing) : error;
  }
}
