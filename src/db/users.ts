import type { PoolClient } from "./pool.js";

/**
 * Upserts the staged users (stage-tables.ts; one row each, no duplicate user_id), in one statement. A
 * user whose content_hash is unchanged is not touched (no dead tuple, no WAL); a user marked deleted
 * comes back. Returns the ids of users inserted or changed.
 */
export async function upsertUsers(client: PoolClient): Promise<string[]> {
  const result = await client.query<{ user_id: string }>(
    `insert into users as u (
       user_id, email_address, email_verified, tracking_id, registered_at, registration_tenant,
       identifiers, attributes, seq_no, user_extra, element_extra, content_hash,
       first_seen_at, last_changed_at, last_changed_run_id
     )
     select t.user_id, t.email_address, t.email_verified, t.tracking_id, t.registered_at, t.registration_tenant,
            t.identifiers, t.attributes, t.seq_no, t.user_extra, t.element_extra, t.content_hash,
            now(), now(), t.last_changed_run_id
       from pg_temp.zephr_stage_users as t
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
  );
  return result.rows.map((row) => row.user_id);
}
