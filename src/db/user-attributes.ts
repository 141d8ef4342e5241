import type { PoolClient } from "./pool.js";

/**
 * Makes the attributes of the given users exactly the rows given (JSON array of {user_id, name, value}),
 * in one statement: rows no longer present are deleted, new ones inserted, changed values updated,
 * identical ones left alone. Returns how many rows were written (inserted, updated or deleted).
 */
export async function replaceUserAttributes(
  client: PoolClient,
  userIds: readonly string[],
  attributesJson: string,
): Promise<number> {
  const result = await client.query<{ written: number }>(
    `with input as (
       -- json_to_recordset reads a JSON null as SQL NULL: an attribute whose value is null is JSON null.
       select t.user_id, t.name, coalesce(t.value, 'null'::jsonb) as value
         from json_to_recordset($2::json) as t(user_id uuid, name text, value jsonb)
     ),
     removed as (
       delete from zephr.user_attributes a
        where a.user_id = any($1::uuid[])
          and not exists (select 1 from input i where i.user_id = a.user_id and i.name = a.name)
       returning 1
     ),
     written as (
       insert into zephr.user_attributes as a (user_id, name, value)
       select user_id, name, value from input
       on conflict (user_id, name) do update set value = excluded.value
       where a.value is distinct from excluded.value
       returning 1
     )
     select ((select count(*) from removed) + (select count(*) from written))::int as written`,
    [userIds, attributesJson],
  );
  return result.rows[0]?.written ?? 0;
}
