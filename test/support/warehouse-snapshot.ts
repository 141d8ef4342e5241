import type pg from "pg";

export interface UserSnapshot {
  user_id: string;
  email_address: string | null;
  email_verified: boolean | null;
  tracking_id: string | null;
  registered_at: string | null;
  registration_tenant: string | null;
  attributes: unknown;
  seq_no: string | null;
  deleted: boolean;
}

/** One row of zephr.user_grants: keyed by (user_id, grant_id). */
export interface GrantSnapshot {
  grant_id: string;
  user_id: string;
  grant_user_id: string | null;
  account_id: string | null;
  entitlement_type: string | null;
  entitlement_id: string | null;
  product_id: string | null;
  expiry_state: string | null;
  starts_at: string | null;
  ends_at: string | null;
  created_at: string | null;
}

export interface AttributeSnapshot {
  user_id: string;
  name: string;
  value: unknown;
}

export interface WarehouseSnapshot {
  users: UserSnapshot[];
  grants: GrantSnapshot[];
  attributes: AttributeSnapshot[];
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Everything analysts see of users, grants and attributes, ordered, instants as UTC ISO text: of the
 * pool's warehouse schema (its search_path; createTestDatabase's pool: zephr).
 */
export async function readWarehouse(pool: pg.Pool): Promise<WarehouseSnapshot> {
  const users = await pool.query<UserSnapshot>(
    `select user_id::text, email_address, email_verified, tracking_id, ${iso("registered_at")} as registered_at,
            registration_tenant, attributes, seq_no::text, deleted_at is not null as deleted
       from users order by user_id`,
  );
  const grants = await pool.query<GrantSnapshot>(
    `select grant_id, user_id::text, grant_user_id::text, account_id, entitlement_type, entitlement_id,
            product_id, expiry_state, ${iso("starts_at")} as starts_at, ${iso("ends_at")} as ends_at,
            ${iso("created_at")} as created_at
       from user_grants order by user_id, grant_id collate "C"`,
  );
  const attributes = await pool.query<AttributeSnapshot>(
    `select user_id::text, name, value from user_attributes order by user_id, name collate "C"`,
  );
  return { users: users.rows, grants: grants.rows, attributes: attributes.rows };
}

/**
 * A fingerprint of the physical row versions (ctid, xmin) of the warehouse tables: any insert, update or
 * delete changes it at once (unlike pg_stat counters, which backends flush lazily). Of the pool's schema.
 */
export async function readRowVersions(pool: pg.Pool): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const table of ["users", "user_attributes", "user_grants"]) {
    const result = await pool.query<{ fingerprint: string | null }>(
      `select md5(string_agg(ctid::text || ':' || xmin::text, ',' order by ctid)) as fingerprint from ${table}`,
    );
    versions[table] = result.rows[0]?.fingerprint ?? "empty";
  }
  return versions;
}
