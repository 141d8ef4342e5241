import { copyFromText } from "./copy-from-text.js";
import type { WarehouseRows } from "./copy-lines.js";
import type { PoolClient } from "./pool.js";

/**
 * Temporary tables of the session that a batch's rows are COPYed into before set-based statements move
 * them into the warehouse: COPY is the fastest way into PostgreSQL, and the statements keep their
 * upsert semantics (on conflict … where distinct). Temporary tables are private to the connection and
 * write no WAL; `on commit delete rows` empties them with every transaction, committed or not.
 */
const createStageTables = `
  create temporary table if not exists zephr_stage_users (
    user_id uuid, email_address text, email_verified boolean, tracking_id text, registered_at timestamptz,
    registration_tenant text, identifiers jsonb, attributes jsonb, seq_no numeric, user_extra jsonb,
    element_extra jsonb, content_hash bytea, last_changed_run_id bigint
  ) on commit delete rows;
  create temporary table if not exists zephr_stage_user_attributes (
    user_id uuid, name text, value jsonb
  ) on commit delete rows;
  create temporary table if not exists zephr_stage_user_grants (
    grant_id text, user_id uuid, grant_user_id uuid, account_id text, entitlement_type text, entitlement_id text,
    product_id text, expiry_state text, starts_at timestamptz, ends_at timestamptz, created_at timestamptz,
    grant_extra jsonb
  ) on commit delete rows`;

// Column lists are those of the tables above, in the order copy-lines.ts writes the fields.
const copyUsers = "copy pg_temp.zephr_stage_users from stdin";
const copyAttributes = "copy pg_temp.zephr_stage_user_attributes from stdin";
const copyGrants = "copy pg_temp.zephr_stage_user_grants from stdin";

/** Connections whose stage tables exist (created by a transaction that did not fail). */
const ready = new WeakSet<PoolClient>();

/**
 * Inside a transaction: fills the stage tables with a batch's rows, then runs `fn` (the statements that
 * read them). If anything fails, the stage tables are created anew next time, in case the failed
 * transaction was the one that created them.
 */
export async function withStagedRows<T>(
  client: PoolClient,
  rows: WarehouseRows,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    if (!ready.has(client)) {
      await client.query(createStageTables);
      ready.add(client);
    }
    await copyFromText(client, copyUsers, rows.users);
    await copyFromText(client, copyAttributes, rows.attributes);
    await copyFromText(client, copyGrants, rows.grants);
    return await fn();
  } catch (error) {
    ready.delete(client);
    throw error;
  }
}
