import type { PoolClient } from "./pool.js";

/**
 * Makes the attributes of the staged users exactly the staged rows (stage-tables.ts), in one
 * statement: rows no longer present are deleted, new ones inserted, changed values updated, identical
 * ones left alone. Only `existingIds` (staged users already in the warehouse) can have rows to delete.
 * Returns how many rows were written (inserted, updated or deleted).
 */
export async function replaceUserAttributes(
  client: PoolClient,
  existingIds: readonly string[],
): Promise<number> {
  const result = await client.query<{ written: number }>(
    `with removed as (
       delete from user_attributes a
        where a.user_id = any($1::uuid[])
          and not exists (
                select 1 from pg_temp.zephr_stage_user_attributes i where i.user_id = a.user_id and i.name = a.name)
       returning 1
     ),
     written as (
       insert into user_attributes as a (user_id, name, value)
       select user_id, name, value from pg_temp.zephr_stage_user_attributes
       on conflict (user_id, name) do update set value = excluded.value
       where a.value is distinct from excluded.value
       returning 1
     )
     select ((select count(*) from removed) + (select count(*) from written))::int as written`,
    [existingIds],
  );
  return result.rows[0]?.written ?? 0;
}
