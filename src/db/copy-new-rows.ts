import { copyFromText } from "./copy-from-text.js";
import type { WarehouseRows } from "./copy-lines.js";
import type { PoolClient } from "./pool.js";

const copyUsers = `copy zephr.users (
  user_id, email_address, email_verified, tracking_id, registered_at, registration_tenant, identifiers,
  attributes, seq_no, user_extra, element_extra, content_hash, last_changed_run_id) from stdin`;
const copyAttributes = "copy zephr.user_attributes (user_id, name, value) from stdin";

/**
 * Loads users the warehouse does not hold yet and their attributes by plain COPY into the tables:
 * nothing to compare, so nothing but the insert itself. first_seen_at and last_changed_at take their
 * default, the transaction's start, as the upsert's now() does. A row that exists after all fails the
 * COPY with unique_violation (23505), and the caller loads the batch again by upsert. Returns the rows
 * copied per table.
 */
export async function copyNewRows(
  client: PoolClient,
  rows: Pick<WarehouseRows, "users" | "attributes">,
): Promise<{ users: number; attributes: number }> {
  const users = await copyFromText(client, copyUsers, rows.users);
  const attributes = await copyFromText(client, copyAttributes, rows.attributes);
  return { users, attributes };
}
