import type { PoolClient } from "./pool.js";

/**
 * Upserts a batch of users (one row each, no duplicate user_id) given as one JSON array, in one
 * statement. A user whose content_hash is unchanged is not touched (no dead tuple, no WAL); a user
 * marked deleted comes back. Returns the ids of users inserted or changed.
 */
export async function upsertUsers(client: PoolClient, usersJson: string, runId: string): Promise<string[]> {
  const result = await client.query<{ user_id: string }>(
    `insert into zephr.users as u (
       user_id, email_address, email_verified, tracking_id, registered_at, registration_tenant,
       identifiers, attributes, seq_no, user_extra, element_extra, content_hash,
       first_seen_at, last_changed_at, last_changed_run_id
     )
     select t.user_id, t.email_address, t.email_verified, t.tracking_id, t.registered_at, t.registration_tenant,
            t.identifiers, t.attributes, t.seq_no, t.user_extra, t.element_extra, decode(t.content_hash, 'hex'),
            now(), now(), $2::bigint
       from json_to_recordset($1::json) as t(
              user_id uuid, email_address text, email_verified boolean, tracking_id text,
              registered_at timestamptz, registration_tenant text, identifiers jsonb, attributes jsonb,
              seq_no numeric, user_extra jsonb, element_extra jsonb, content_hash text)
     on conflict (user_id) do update set
       email_address = excluded.email_address,
       email_verified = excluded.email_verified,
       tracking_id = excluded.tracking_id,
       registered_at = excluded.registered_at,
       registration_tenant = excluded.registration_tenant,
       identifiers = excluded.identifiers,
       attributes = excluded.attributes,
       seq_no = excluded.seq_no,
       user_extra = excluded.user_extra,
       element_extra = excluded.element_extra,
       content_hash = excluded.content_hash,
       last_changed_at = now(),
       last_changed_run_id = excluded.last_changed_run_id,
       deleted_at = null
     where u.content_hash is distinct from excluded.content_hash or u.deleted_at is not null
     returning u.user_id`,
    [usersJson, runId],
  );
  return result.rows.map((row) => row.user_id);
}
