import type { Pool, PoolClient } from "./pool.js";

/** The tenant a warehouse schema mirrors (sync_tenants: each schema of a database mirrors its own). */
export interface TenantBinding {
  /** The warehouse schema holding the binding (ZEPHR_SCHEMA), for messages. */
  readonly schema: string;
  /** ZEPHR_BASE_URL, normalized. */
  readonly baseUrl: string;
  readonly boundAt: Date;
  /** True while the warehouse holds no user and no run has succeeded: it may be bound anew. */
  readonly rebindable: boolean;
}

/** The tenant this warehouse mirrors, or null before its first run. */
export async function findTenantBinding(client: Pool | PoolClient): Promise<TenantBinding | null> {
  const result = await client.query<{
    schema: string;
    base_url: string;
    bound_at: Date;
    rebindable: boolean;
  }>(
    `select current_schema() as schema, base_url, bound_at,
            not exists (select from users)
              and not exists (select from sync_runs where status = 'succeeded') as rebindable
       from sync_tenants`,
  );
  const row = result.rows[0];
  return row === undefined
    ? null
    : { schema: row.schema, baseUrl: row.base_url, boundAt: row.bound_at, rebindable: row.rebindable };
}

/** Binds the warehouse to a tenant (the first run), or binds it anew (see TenantBinding.rebindable). */
export async function saveTenantBinding(client: Pool | PoolClient, baseUrl: string): Promise<void> {
  await client.query(
    `insert into sync_tenants (only_row, base_url, bound_at)
     values (true, $1::text, now())
     on conflict (only_row) do update set base_url = excluded.base_url, bound_at = excluded.bound_at`,
    [baseUrl],
  );
}
