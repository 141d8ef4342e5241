import type { PoolClient } from "./pool.js";

export interface CatalogueWriteCounts {
  /** Rows inserted or refreshed: every item the listing had. */
  readonly listed: number;
  /** Rows newly flagged removed (listed before, not any more). */
  readonly removed: number;
}

/**
 * Makes one catalogue (`kind`) match a complete listing (JSON array of {item_id, label, item}, one row
 * per item_id), in one statement: listed items are inserted or refreshed (and un-flagged if they had been
 * removed), items the listing no longer has are flagged removed_at = now() but kept, so grants of
 * withdrawn products keep their names.
 */
export async function replaceCatalogueItems(
  client: PoolClient,
  kind: string,
  itemsJson: string,
): Promise<CatalogueWriteCounts> {
  const result = await client.query<{ listed: number; removed: number }>(
    `with input as (
       select t.item_id, t.label, t.item
         from json_to_recordset($2::json) as t(item_id text, label text, item jsonb)
     ),
     removed as (
       update catalogue_items c
          set removed_at = now()
        where c.kind = $1::text
          and c.removed_at is null
          and not exists (select 1 from input i where i.item_id = c.item_id)
       returning 1
     ),
     listed as (
       insert into catalogue_items as c (kind, item_id, label, item)
       select $1::text, item_id, label, item from input
       on conflict (kind, item_id) do update
         set label = excluded.label, item = excluded.item, refreshed_at = now(), removed_at = null
       returning 1
     )
     select (select count(*) from listed)::int as listed, (select count(*) from removed)::int as removed`,
    [kind, itemsJson],
  );
  const row = result.rows[0];
  return { listed: row?.listed ?? 0, removed: row?.removed ?? 0 };
}
