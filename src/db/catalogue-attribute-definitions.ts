import type { PoolClient } from "./pool.js";
import type { CatalogueWriteCounts } from "./catalogue-items.js";

/**
 * Makes user_attribute_definitions match a complete user schema listing (JSON array of
 * {slug, label, input_type, definition}, one row per slug), in one statement: listed definitions are
 * inserted or refreshed, vanished ones flagged removed_at = now() but kept (users may still carry values).
 */
export async function replaceAttributeDefinitions(
  client: PoolClient,
  definitionsJson: string,
): Promise<CatalogueWriteCounts> {
  const result = await client.query<{ listed: number; removed: number }>(
    `with input as (
       select t.slug, t.label, t.input_type, t.definition
         from json_to_recordset($1::json) as t(slug text, label text, input_type text, definition jsonb)
     ),
     removed as (
       update user_attribute_definitions d
          set removed_at = now()
        where d.removed_at is null
          and not exists (select 1 from input i where i.slug = d.slug)
       returning 1
     ),
     listed as (
       insert into user_attribute_definitions as d (slug, label, input_type, definition)
       select slug, label, input_type, definition from input
       on conflict (slug) do update
         set label = excluded.label, input_type = excluded.input_type, definition = excluded.definition,
             refreshed_at = now(), removed_at = null
       returning 1
     )
     select (select count(*) from listed)::int as listed, (select count(*) from removed)::int as removed`,
    [definitionsJson],
  );
  const row = result.rows[0];
  return { listed: row?.listed ?? 0, removed: row?.removed ?? 0 };
}
