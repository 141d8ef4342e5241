import pRetry from "p-retry";
import { stringifyJson } from "../json/stringify-json.js";
import type { Pool } from "../db/pool.js";
import { withTransaction } from "../db/pool.js";
import { upsertUsers } from "../db/users.js";
import { replaceUserAttributes } from "../db/user-attributes.js";
import { replaceUserGrants } from "../db/user-grants.js";
import { insertRejects } from "../db/sync-rejects.js";
import { recordSeenUsers } from "../db/sync-seen-users.js";
import { addRunCounts, type RunCounts } from "../db/sync-runs.js";
import type { NormalizedUser } from "./normalized-user.js";
import type { UserBatch } from "./user-batch.js";
import { isTransientDatabaseError, toDatabaseError } from "./database-errors.js";
import { isUuid } from "./is-uuid.js";

function userRow(user: NormalizedUser): Record<string, unknown> {
  return {
    user_id: user.userId,
    email_address: user.emailAddress,
    email_verified: user.emailVerified,
    tracking_id: user.trackingId,
    registered_at: user.registeredAt,
    registration_tenant: user.registrationTenant,
    identifiers: user.identifiers,
    attributes: user.attributes,
    seq_no: user.seqNo,
    user_extra: user.userExtra,
    element_extra: user.elementExtra,
    content_hash: user.contentHash,
  };
}

function attributeRows(users: readonly NormalizedUser[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const user of users) {
    for (const [name, value] of Object.entries(user.attributes))
      rows.push({ user_id: user.userId, name, value });
  }
  return rows;
}

/** One row per grant id across the batch: a grant listed under two users goes to the later one. */
function grantRows(users: readonly NormalizedUser[]): Record<string, unknown>[] {
  const rows = new Map<string, Record<string, unknown>>();
  for (const user of users) {
    for (const grant of user.grants) {
      rows.delete(grant.grantId);
      rows.set(grant.grantId, {
        grant_id: grant.grantId,
        user_id: user.userId,
        account_id: grant.accountId,
        entitlement_type: grant.entitlementType,
        entitlement_id: grant.entitlementId,
        product_id: grant.productId,
        expiry_state: grant.expiryState,
        starts_at: grant.startsAt,
        ends_at: grant.endsAt,
        created_at: grant.createdAt,
        grant_extra: grant.extra,
      });
    }
  }
  return [...rows.values()];
}

/**
 * Every user the batch shows to exist in Zephr: loaded users, and rejected elements whose user_id is
 * still a UUID (a user with one bad field exists all the same and must not be marked deleted).
 */
function listedUserIds(batch: UserBatch): string[] {
  const ids = [...batch.users.keys()];
  for (const { rejected } of batch.rejects) {
    if (rejected.userId !== null && isUuid(rejected.userId)) ids.push(rejected.userId.toLowerCase());
  }
  return ids;
}

export interface LoadDeps {
  readonly pool: Pool;
  readonly runId: string;
  /** Record every listed user id (rejected ones too) for a full export's deletion check. */
  readonly trackSeen: boolean;
  /** Retries of a batch after a transient database error (serialization failure, deadlock, lost connection). */
  readonly retries: number;
  readonly retryMinMs: number;
}

/**
 * Loads one batch in one transaction: users first (unchanged users are skipped by content hash), then
 * the attributes and grants of the users that changed, the rejects, and the run's counters. Either all
 * of it commits or none of it does; transient database errors retry the whole transaction.
 */
export async function loadUserBatch(deps: LoadDeps, batch: UserBatch): Promise<RunCounts> {
  const users = [...batch.users.values()];
  const anyLossless = users.some((u) => u.hasLossless);
  const usersJson = stringifyJson(users.map(userRow), anyLossless);
  const rejectsJson = JSON.stringify(
    batch.rejects.map(({ page, rejected }) => ({
      page,
      user_id: rejected.userId,
      reason: rejected.reasons.join("; "),
      element: rejected.element,
    })),
  );
  const byId = batch.users;

  const attempt = () =>
    withTransaction(deps.pool, async (client) => {
      const changedIds = users.length > 0 ? await upsertUsers(client, usersJson, deps.runId) : [];
      let attributesWritten = 0;
      let grantsWritten = 0;
      if (changedIds.length > 0) {
        const changed = changedIds
          .map((id) => byId.get(id))
          .filter((u): u is NormalizedUser => u !== undefined);
        const changedLossless = changed.some((u) => u.hasLossless);
        attributesWritten = await replaceUserAttributes(
          client,
          changedIds,
          stringifyJson(attributeRows(changed), changedLossless),
        );
        grantsWritten = await replaceUserGrants(
          client,
          changedIds,
          stringifyJson(grantRows(changed), changedLossless),
        );
      }
      if (batch.rejects.length > 0) await insertRejects(client, deps.runId, rejectsJson);
      if (deps.trackSeen) await recordSeenUsers(client, deps.runId, listedUserIds(batch));
      const counts: RunCounts = {
        pages: batch.pages,
        bytes: batch.bytes,
        usersReceived: batch.received,
        usersWritten: changedIds.length,
        attributesWritten,
        grantsWritten,
        rejected: batch.rejects.length,
      };
      await addRunCounts(client, deps.runId, counts);
      return counts;
    });

  try {
    return await pRetry(attempt, {
      retries: deps.retries,
      minTimeout: deps.retryMinMs,
      randomize: true,
      shouldRetry: ({ error }) => isTransientDatabaseError(error),
    });
  } catch (error) {
    throw toDatabaseError(error, "loading a batch of users");
  }
}
