import { copyFromText } from "./copy-from-text.js";
import type { WarehouseRows } from "./copy-lines.js";
import type { PoolClient } from "./pool.js";

const copyUsers = `copy users (
  user_id, email_address, email_verified, tracking_id, registered_at, registration_tenant, identifiers,
  attributes, seq_no, user_extra, element_extra, content_hash, last_changed_run_id) from stdin`;
const copyAttributes = "copy user_attributes (user_id, name, value) from stdin";
const copyGrants = `copy user_grants (
  grant_id, user_id, grant_user_id, account_id, entitlement_type, entitlement_id, product_id, expiry_state,
  starts_at, ends_at, created_at, grant_extra) from stdin`;

/**
 * Loads users the warehouse does not hold yet, their attributes and their grants by plain COPY into the
 * tables: nothing to compare, so nothing but the insert itself. Every row is keyed by its user, so a new
 * user's rows cannot exist, even for a grant id other users list too. first_seen_at and last_changed_at
 * take their default, the transaction's start, as the upsert's now() does. A row that exists after all (a
 * user listed twice in a first load, rows left behind by a truncate) fails the COPY with
 * unique_violation (23505), and the caller loads the batch again by upsert. Returns the rows copied per
 * table.
 */
export async function copyNewRows(
  client: PoolClient,
  rows: WarehouseRows,
): Promise<{ users: number; attributes: number; grants: number }> {
  const users = await copyFromText(client, copyUsers, rows.users);
  const attributes = await copyFromText(client, copyAttributes, rows.attributes);
  const grants = await copyFromText(client, copyGrants, rows.grants);
  return { users, attributes, grants };
}
