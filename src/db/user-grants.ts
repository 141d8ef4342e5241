import type { PoolClient } from "./pool.js";

/**
 * Makes the grants of the staged users exactly the staged rows (stage-tables.ts, one row per user_id and
 * grant_id), in one statement: a user's grants it no longer lists are deleted, new ones inserted, changed
 * ones updated, identical ones left alone. Rows are keyed by (user_id, grant_id), so a grant listed under
 * several users is each user's own row, and nothing one user lists touches another's. Only `existingIds`
 * (staged users already in the warehouse) can have grants to delete. Returns how many rows were written.
 */
export async function replaceUserGrants(client: PoolClient, existingIds: readonly string[]): Promise<number> {
  const result = await client.query<{ written: number }>(
    `with removed as (
       delete from user_grants g
        where g.user_id = any($1::uuid[])
          and not exists (
            select 1 from pg_temp.zephr_stage_user_grants i
             where i.user_id = g.user_id and i.grant_id = g.grant_id)
       returning 1
     ),
     written as (
       insert into user_grants as g (
         grant_id, user_id, grant_user_id, account_id, entitlement_type, entitlement_id, product_id,
         expiry_state, starts_at, ends_at, created_at, grant_extra)
       select grant_id, user_id, grant_user_id, account_id, entitlement_type, entitlement_id, product_id,
              expiry_state, starts_at, ends_at, created_at, grant_extra
         from pg_temp.zephr_stage_user_grants
       on conflict (user_id, grant_id) do update set
         grant_user_id = excluded.grant_user_id,
         account_id = excluded.account_id,
         entitlement_type = excluded.entitlement_type,
         entitlement_id = excluded.entitlement_id,
         product_id = excluded.product_id,
         expiry_state = excluded.expiry_state,
         starts_at = excluded.starts_at,
         ends_at = excluded.ends_at,
         created_at = excluded.created_at,
         grant_extra = excluded.grant_extra
       where (g.grant_user_id, g.account_id, g.entitlement_type, g.entitlement_id, g.product_id,
              g.expiry_state, g.starts_at, g.ends_at, g.created_at, g.grant_extra)
             is distinct from
             (excluded.grant_user_id, excluded.account_id, excluded.entitlement_type,
              excluded.entitlement_id, excluded.product_id, excluded.expiry_state, excluded.starts_at,
              excluded.ends_at, excluded.created_at, excluded.grant_extra)
       returning 1
     )
     select ((select count(*) from removed) + (select count(*) from written))::int as written`,
    [existingIds],
  );
  return result.rows[0]?.written ?? 0;
}
