import type { Pool, PoolClient } from "../../db/pool.js";
import type { NormalizedUser } from "../../db/normalized-user.js";
import { findUserHashes, type StoredHash } from "../../db/user-hashes.js";
import { toUserId } from "../normalize/is-uuid.js";
import { toRejectRow, type RejectRow } from "../normalize/reject-row.js";
import { validateElement } from "../normalize/validate-element.js";
import type { ListedUsers } from "./listed-users.js";
import type { LoadMode } from "./plan-load.js";
import { itemsPerTurn, nextTurn } from "./next-turn.js";
import type { QueuedElement, UserBatch } from "./user-batch.js";

export interface CompareDeps {
  readonly client: Pool | PoolClient;
  readonly grantTimezone: string;
  /** first-load: the warehouse held no user when the run started, so there is nothing to look up. */
  readonly mode: LoadMode;
  /** Complete exports: every listed user id goes here (rejected ones too) for the deletion check. */
  readonly listed: ListedUsers | undefined;
}

/** A batch sorted against the warehouse: what a load writes and a dry run counts. */
export interface ComparedBatch {
  /** Valid users whose content hash differs from the warehouse's (or who are not stored): to write. */
  readonly changed: NormalizedUser[];
  /** Of `changed`, the ids the warehouse holds already: only their old attribute and grant rows can go. */
  readonly stored: ReadonlySet<string>;
  /** Users stored, live and with the same content hash: neither validated nor written. */
  readonly unchanged: number;
  /** Elements that failed validation, in the order they arrived. */
  readonly rejects: RejectRow[];
}

/**
 * Compares a batch with the warehouse by content hash (one lookup of the batch's ids, skipped on a first
 * load): unchanged users are neither built nor validated; the rest are validated into users to write or
 * rejects. The one comparison of the load and of the dry run.
 */
export async function compareBatch(deps: CompareDeps, batch: UserBatch): Promise<ComparedBatch> {
  const hashes =
    deps.mode === "first-load"
      ? new Map<string, StoredHash>()
      : await findUserHashes(deps.client, [...batch.keyed.keys()]);
  const changed: NormalizedUser[] = [];
  const stored = new Set<string>();
  const rejected: { arrival: number; row: RejectRow }[] = [];
  let unchanged = 0;
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
    const found = hashes.get(userId);
    const storedLive = found !== undefined && !found.deleted;
    if (found?.hash === element.hash && storedLive) {
      unchanged += 1;
      deps.listed?.add(userId, true);
      continue;
    }
    // Validation is the slow part (building, checking): the writes in flight get their turns.
    if (++validated % itemsPerTurn === 0) await nextTurn();
    // A stored user whose new element is rejected keeps what the warehouse has: its rows are not touched.
    const { valid } = validate(element);
    if (valid && found !== undefined) stored.add(userId);
    deps.listed?.add(userId, valid || storedLive);
  }
  for (const element of batch.unkeyed) {
    // A user with one bad field exists all the same and must not be marked deleted; whether it is live
    // was not looked up.
    const { rejectedId } = validate(element);
    if (rejectedId !== undefined) deps.listed?.add(rejectedId, false);
  }
  // Rejects keep the order they arrived in, for whoever reads zephr.sync_rejects.
  rejected.sort((a, b) => a.arrival - b.arrival);
  return { changed, stored, unchanged, rejects: rejected.map((r) => r.row) };
}
