import type { PoolClient } from "./pool.js";

/**
 * Makes the grants of the staged users exactly the staged rows (stage-tables.ts, one row per grant_id),
 * in one statement: grants no longer listed for those users are deleted, new ones inserted, changed ones
 * updated (a grant listed under another user moves to that user), identical ones left alone. Only
 * `existingIds` (staged users already in the warehouse) can have grants to delete. Returns how many rows
 * were written.
 */
export async function replaceUserGrants(client: PoolClient, existingIds: readonly string[]): Promise<number> {
  const result = await client.query<{ written: number }>(
    `with removed as (
       delete from zephr.user_grants g
        where g.user_id = any($1::uuid[])
          and not exists (select 1 from pg_temp.zephr_stage_user_grants i where i.grant_id = g.grant_id)
       returning 1
     ),
     written as (
       insert into zephr.user_grants as g (
         grant_id, user_id, account_id, entitlement_type, entitlement_id, product_id, expiry_state,
         starts_at, ends_at, created_at, grant_extra)
       select grant_id, user_id, account_id, entitlement_type, entitlement_id, product_id, expiry_state,
              starts_at, ends_at, created_at, grant_extra
         from pg_temp.zephr_stage_user_grants
       on conflict (grant_id) do update set
         user_id = excluded.user_id,
         account_id = excluded.account_id,
         entitlement_type = excluded.entitlement_type,
         entitlement_id = excluded.entitlement_id,
         product_id = excluded.product_id,
         expiry_state = excluded.expiry_state,
         starts_at = excluded.starts_at,
         ends_at = excluded.ends_at,
         created_at = excluded.created_at,
         grant_extra = excluded.grant_extra
       where (g.user_id, g.account_id, g.entitlement_type, g.entitlement_id, g.product_id, g.expiry_state,
              g.starts_at, g.ends_at, g.created_at, g.grant_extra)
             is distinct from
             (excluded.user_id, excluded.account_id, excluded.entitlement_type, excluded.entitlement_id,
              excluded.product_id, excluded.expiry_state, excluded.starts_at, excluded.ends_at,
              excluded.created_at, excluded.grant_extra)
       returning 1
     )
     select ((select count(*) from removed) + (select count(*) from written))::int as written`,
    [existingIds],
  );
  return result.rows[0]?.written ?? 0;
}
