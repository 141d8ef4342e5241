import type { Pool, PoolClient } from "./pool.js";

/** The tenant a warehouse mirrors (zephr.sync_tenants). */
export interface TenantBinding {
  /** ZEPHR_BASE_URL, normalized. */
  readonly baseUrl: string;
  readonly boundAt: Date;
  /** True while the warehouse holds no user and no run has succeeded: it may be bound anew. */
  readonly rebindable: boolean;
}

/** The tenant this warehouse mirrors, or null before its first run. */
export async function findTenantBinding(client: Pool | PoolClient): Promise<TenantBinding | null> {
  const result = await client.query<{ base_url: string; bound_at: Date; rebindable: boolean }>(
    `select base_url, bound_at,
            not exists (select from zephr.users)
              and not exists (select from zephr.sync_runs where status = 'succeeded') as rebindable
       from zephr.sync_tenants`,
  );
  const row = result.rows[0];
  return row === undefined
    ? null
    : { baseUrl: row.base_url, boundAt: row.bound_at, rebindable: row.rebindable };
}

/** Binds the warehouse to a tenant (the first run), or binds it anew (see TenantBinding.rebindable). */
export async function saveTenantBinding(client: Pool | PoolClient, baseUrl: string): Promise<void> {
  await client.query(
    `insert into zephr.sync_tenants (only_row, base_url, bound_at)
     values (true, $1::text, now())
     on conflict (only_row) do update set base_url = excluded.base_url, bound_at = excluded.bound_at`,
    [baseUrl],
  );
}
