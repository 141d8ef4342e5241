import type { Pool, PoolClient } from "./pool.js";

/** One of the analysts' indexes on the warehouse tables, as the migrations create it. */
export interface AnalystIndex {
  readonly name: string;
  /**
   * Exactly as `pg_get_indexdef` prints it, but for the table's schema (so one definition serves every
   * ZEPHR_SCHEMA): the statement that builds it again.
   */
  readonly definition: string;
  /** The statement that drops it. */
  readonly drop: string;
}

/**
 * From a definition below; the statements are made here from those constants, and nowhere else. The
 * table is unqualified: the statements act on the warehouse schema, the connection's search_path.
 */
function analystIndex(definition: string): AnalystIndex {
  const name = /^CREATE INDEX (\w+) ON \w+ USING /.exec(definition)?.[1];
  if (name === undefined) throw new Error(`not an index definition of an unqualified table: ${definition}`);
  return { name, definition, drop: `drop index ${name}` };
}

/**
 * The secondary indexes of users, user_attributes and user_grants that serve analysts' queries, not the
 * loads: a first load may build them after its rows are in (a million users: 140 s, against 187 s
 * keeping them up to date row by row; docs/benchmarks.md). A migration that changes one of them must
 * change it here too (test/sync/first-load-indexes.test.ts compares this list with the migrated
 * schema). Left out on purpose: primary keys, which the loads use (user_grants' (user_id, grant_id) serves
 * the grant upsert's delete of a user's unlisted grants).
 */
export const analystIndexes: readonly AnalystIndex[] = [
  analystIndex("CREATE INDEX users_email_address_lower_idx ON users USING hash (lower(email_address))"),
  analystIndex("CREATE INDEX users_registered_at_idx ON users USING btree (registered_at)"),
  analystIndex(
    "CREATE INDEX users_deleted_at_idx ON users USING btree (deleted_at) WHERE (deleted_at IS NOT NULL)",
  ),
  analystIndex("CREATE INDEX user_grants_ends_at_idx ON user_grants USING btree (ends_at)"),
  analystIndex("CREATE INDEX user_grants_grant_id_idx ON user_grants USING btree (grant_id)"),
  analystIndex("CREATE INDEX user_grants_entitlement_id_idx ON user_grants USING btree (entitlement_id)"),
  analystIndex("CREATE INDEX user_grants_product_id_idx ON user_grants USING btree (product_id)"),
  analystIndex("CREATE INDEX user_attributes_value_idx ON user_attributes USING gin (value jsonb_path_ops)"),
];

/** Of the analyst indexes, those present in the warehouse schema, with their current definitions. */
export async function findAnalystIndexes(client: Pool | PoolClient): Promise<Map<string, string>> {
  // pg_get_indexdef always names the table's schema (quoted when it must be, as regnamespace::text).
  const result = await client.query<{ name: string; definition: string }>(
    `select c.relname as name,
            replace(pg_get_indexdef(c.oid), ' ON ' || c.relnamespace::regnamespace::text || '.', ' ON ') as definition
       from pg_class c
      where c.relnamespace = (select oid from pg_namespace where nspname = current_schema())
        and c.relkind = 'i' and c.relname = any($1::text[])`,
    [analystIndexes.map((index) => index.name)],
  );
  return new Map(result.rows.map((row) => [row.name, row.definition]));
}

/** Whether this session may drop and create indexes on the warehouse tables (it owns them). */
export async function ownsWarehouseTables(client: Pool | PoolClient): Promise<boolean> {
  const result = await client.query<{ owns: boolean }>(
    `select bool_and(pg_has_role(c.relowner, 'USAGE')) as owns
       from pg_class c
      where c.oid in ('users'::regclass, 'user_attributes'::regclass, 'user_grants'::regclass)`,
  );
  return result.rows[0]?.owns === true;
}

/**
 * Inside a transaction: drops one analyst index. Waits at most `lockTimeoutMs` for the table's lock
 * (analysts' queries hold it), then fails with SQLSTATE 55P03. The name is one of analystIndexes.
 */
export async function dropAnalystIndex(
  client: PoolClient,
  index: AnalystIndex,
  lockTimeoutMs: number,
): Promise<void> {
  await client.query("select set_config('lock_timeout', $1, true)", [`${lockTimeoutMs}ms`]);
  await client.query(index.drop);
}

/** Builds one analyst index from its definition (a constant of analystIndexes). */
export async function createAnalystIndex(client: Pool | PoolClient, index: AnalystIndex): Promise<void> {
  await client.query(index.definition);
}
