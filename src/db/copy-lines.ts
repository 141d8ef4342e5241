import { stringifyJson } from "../json/stringify-json.js";
import type { NormalizedGrant, NormalizedUser } from "./normalized-user.js";
import { copyBoolean, copyField, copyHexBytes, copyLine } from "./copy-text.js";

/**
 * A user's rows as COPY text lines, in the column order of the COPY statements of src/db (copy-new-rows.ts
 * into the warehouse tables, stage-tables.ts into the stage tables).
 */

/** COPY text for the three warehouse tables: lines from the functions below. */
export interface WarehouseRows {
  readonly users: string;
  readonly attributes: string;
  readonly grants: string;
}

function json(value: unknown, user: NormalizedUser): string {
  return copyField(stringifyJson(value, user.hasLossless));
}

/** user_id … content_hash, last_changed_run_id. */
export function userLine(u: NormalizedUser, runId: string): string {
  return copyLine([
    copyField(u.userId),
    copyField(u.emailAddress),
    copyBoolean(u.emailVerified),
    copyField(u.trackingId),
    copyField(u.registeredAt),
    copyField(u.registrationTenant),
    json(u.identifiers, u),
    json(u.attributes, u),
    u.seqNo === null ? "\\N" : copyField(String(u.seqNo)),
    json(u.userExtra, u),
    json(u.elementExtra, u),
    copyHexBytes(u.contentHash),
    runId,
  ]);
}

/** user_id, name, value: one line per attribute of the user. */
export function attributeLines(u: NormalizedUser): { text: string; count: number } {
  const id = copyField(u.userId);
  let text = "";
  let count = 0;
  for (const [name, value] of Object.entries(u.attributes)) {
    text += `${id}\t${copyField(name)}\t${json(value, u)}\n`;
    count += 1;
  }
  return { text, count };
}

/** grant_id, user_id, grant_user_id … grant_extra: one grant of the user (keyed by both ids). */
export function grantLine(u: NormalizedUser, grant: NormalizedGrant): string {
  return copyLine([
    copyField(grant.grantId),
    copyField(u.userId),
    copyField(grant.grantUserId),
    copyField(grant.accountId),
    copyField(grant.entitlementType),
    copyField(grant.entitlementId),
    copyField(grant.productId),
    copyField(grant.expiryState),
    copyField(grant.startsAt),
    copyField(grant.endsAt),
    copyField(grant.createdAt),
    json(grant.extra, u),
  ]);
}
