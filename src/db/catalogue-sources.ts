import type { Pool, PoolClient } from "./pool.js";

/** Records a complete read of a catalogue endpoint (inside the transaction that stored its items). */
export async function recordCatalogueSuccess(
  client: PoolClient,
  endpoint: string,
  kind: string,
  items: number,
): Promise<void> {
  await client.query(
    `insert into catalogue_sources as s (endpoint, kind, last_attempted_at, last_succeeded_at, items, last_error)
     values ($1::text, $2::text, now(), now(), $3::int, null)
     on conflict (endpoint) do update
       set kind = excluded.kind, last_attempted_at = excluded.last_attempted_at,
           last_succeeded_at = excluded.last_succeeded_at, items = excluded.items, last_error = null`,
    [endpoint, kind, items],
  );
}

/** Records a failed read of a catalogue endpoint; what the last success stored stays as it was. */
export async function recordCatalogueFailure(
  pool: Pool,
  endpoint: string,
  kind: string,
  reason: string,
): Promise<void> {
  await pool.query(
    `insert into catalogue_sources as s (endpoint, kind, last_attempted_at, last_error)
     values ($1::text, $2::text, now(), $3::text)
     on conflict (endpoint) do update
       set kind = excluded.kind, last_attempted_at = excluded.last_attempted_at, last_error = excluded.last_error`,
    [endpoint, kind, reason],
  );
}

export interface CatalogueSourceRow {
  readonly endpoint: string;
  readonly kind: string;
  readonly lastAttemptedAt: Date;
  readonly lastSucceededAt: Date | null;
  readonly items: number | null;
  readonly lastError: string | null;
}

/** Every catalogue endpoint's last read, by endpoint (for status displays). */
export async function listCatalogueSources(pool: Pool): Promise<CatalogueSourceRow[]> {
  const result = await pool.query<{
    endpoint: string;
    kind: string;
    last_attempted_at: Date;
    last_succeeded_at: Date | null;
    items: number | null;
    last_error: string | null;
  }>(
    `select endpoint, kind, last_attempted_at, last_succeeded_at, items, last_error
       from catalogue_sources
      order by endpoint`,
  );
  return result.rows.map((row) => ({
    endpoint: row.endpoint,
    kind: row.kind,
    lastAttemptedAt: row.last_attempted_at,
    lastSucceededAt: row.last_succeeded_at,
    items: row.items,
    lastError: row.last_error,
  }));
}
