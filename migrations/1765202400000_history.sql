-- Up Migration

-- History: every version of a user (with its attributes) and of each of its grants, with the interval
-- during which zephr-sync knew it to be current. A version starts at the instant of the export that
-- first delivered it (the run's export start, zephr.sync_runs.export_started_at: the instant the
-- watermark uses) and ends at the instant of the export that delivered a change, no longer listed the
-- grant, or (a complete export) no longer listed the user. A change made in Zephr between two runs is
-- dated by the run that saw it: the interval says "known from this export on", not "true in Zephr from
-- this instant on".
--
-- The versions are written by statement-level triggers on zephr.users and zephr.user_grants, from the
-- transition tables of the statement, so in the same transaction as the rows (a failed batch or run
-- leaves no version behind) and only for rows a statement wrote: an unchanged user is not written, so
-- nothing is recorded for it. The instant comes from the transaction-local setting
-- zephr_sync.version_at, which a batch (and the run's final transaction) sets when SYNC_HISTORY is on;
-- without it a write records nothing (SYNC_HISTORY=false, or SQL run by hand). Deleting a user (purge,
-- erasure) deletes its history whatever the setting.

create table zephr.user_versions (
  user_id uuid not null,
  email_address text,
  email_verified boolean,
  tracking_id text,
  registered_at timestamptz,
  registration_tenant text,
  identifiers jsonb not null,
  attributes jsonb not null,
  seq_no numeric,
  user_extra jsonb not null,
  element_extra jsonb not null,
  content_hash bytea not null,
  first_seen_at timestamptz not null,
  last_changed_at timestamptz not null,
  last_changed_run_id bigint,
  deleted_at timestamptz,
  valid_from timestamptz not null,
  valid_to timestamptz,
  present_at_start boolean not null default false,
  primary key (user_id, valid_from),
  check (valid_to is null or valid_to > valid_from)
);
-- At most one current version per user: what the triggers close when the user is written again.
create unique index user_versions_current_idx on zephr.user_versions (user_id) where valid_to is null;
-- As of an instant: the versions whose interval contains it (zephr.users_as_of).
create index user_versions_validity_idx on zephr.user_versions using gist (tstzrange(valid_from, valid_to, '[)'));

comment on table zephr.user_versions is 'History of zephr.users: one row per version of a user (its columns, attributes included), valid from valid_from (inclusive) to valid_to (exclusive; null while current). A version is known from the export that first delivered it; a change made in Zephr between two runs is dated by the run that saw it. zephr.users_as_of(instant) gives the users as they stood. Recorded while SYNC_HISTORY is on; a purged user''s history is deleted with it.';
comment on column zephr.user_versions.user_id is 'Zephr user id (zephr.users.user_id).';
comment on column zephr.user_versions.email_address is 'As zephr.users.email_address during this version.';
comment on column zephr.user_versions.email_verified is 'As zephr.users.email_verified during this version.';
comment on column zephr.user_versions.tracking_id is 'As zephr.users.tracking_id during this version.';
comment on column zephr.user_versions.registered_at is 'As zephr.users.registered_at during this version.';
comment on column zephr.user_versions.registration_tenant is 'As zephr.users.registration_tenant during this version.';
comment on column zephr.user_versions.identifiers is 'As zephr.users.identifiers during this version.';
comment on column zephr.user_versions.attributes is 'The user''s attributes during this version ({slug: value}, as zephr.users.attributes): compare consecutive versions to see when an attribute changed.';
comment on column zephr.user_versions.seq_no is 'As zephr.users.seq_no during this version.';
comment on column zephr.user_versions.user_extra is 'As zephr.users.user_extra during this version.';
comment on column zephr.user_versions.element_extra is 'As zephr.users.element_extra during this version.';
comment on column zephr.user_versions.content_hash is 'As zephr.users.content_hash during this version (it covers the user''s grants too: a version may differ from the one before only by its grants).';
comment on column zephr.user_versions.first_seen_at is 'As zephr.users.first_seen_at (database clock).';
comment on column zephr.user_versions.last_changed_at is 'As zephr.users.last_changed_at when this version was written (database clock).';
comment on column zephr.user_versions.last_changed_run_id is 'The run that wrote this version (zephr.sync_runs.run_id).';
comment on column zephr.user_versions.deleted_at is 'Set when this version records the user''s deletion by a complete export (the user did not exist during it); null for a live user.';
comment on column zephr.user_versions.valid_from is 'Start of the version (inclusive): the export start (zephr.sync_runs.export_started_at, Zephr''s clock) of the run that first delivered it; for a version present_at_start, the instant history started.';
comment on column zephr.user_versions.valid_to is 'End of the version (exclusive): the export start of the run that delivered the next version of the user; null while current.';
comment on column zephr.user_versions.present_at_start is 'True for a version that was already in the warehouse when history started (this migration): it held at valid_from, but since when before that is not known.';

create table zephr.user_grant_versions (
  grant_id text not null,
  user_id uuid not null,
  account_id text,
  entitlement_type text,
  entitlement_id text,
  product_id text,
  expiry_state text,
  starts_at timestamptz,
  ends_at timestamptz,
  created_at timestamptz,
  grant_extra jsonb not null,
  grant_user_id uuid,
  valid_from timestamptz not null,
  valid_to timestamptz,
  present_at_start boolean not null default false,
  primary key (user_id, grant_id, valid_from),
  check (valid_to is null or valid_to > valid_from)
);
create unique index user_grant_versions_current_idx on zephr.user_grant_versions (user_id, grant_id) where valid_to is null;
create index user_grant_versions_validity_idx on zephr.user_grant_versions using gist (tstzrange(valid_from, valid_to, '[)'));

comment on table zephr.user_grant_versions is 'History of zephr.user_grants: one row per version of a user''s grant, valid from valid_from (inclusive) to valid_to (exclusive; null while current). A version ends when an export delivers the grant changed (e.g. ends_at shortened or extended), no longer lists it under the user (revoked), or a complete export no longer lists the user (deleted). zephr.grants_as_of(instant) gives the grants as they stood; zephr.daily_active_users(from, to) counts holders per day. Recorded while SYNC_HISTORY is on; a purged user''s history is deleted with it.';
comment on column zephr.user_grant_versions.grant_id is 'Zephr grant id (zephr.user_grants.grant_id); with user_id and valid_from, the key.';
comment on column zephr.user_grant_versions.user_id is 'The user whose export listed the grant (zephr.user_grants.user_id).';
comment on column zephr.user_grant_versions.account_id is 'As zephr.user_grants.account_id during this version.';
comment on column zephr.user_grant_versions.entitlement_type is 'As zephr.user_grants.entitlement_type during this version (bundle, entitlement, meter or credits).';
comment on column zephr.user_grant_versions.entitlement_id is 'As zephr.user_grants.entitlement_id during this version.';
comment on column zephr.user_grant_versions.product_id is 'As zephr.user_grants.product_id during this version.';
comment on column zephr.user_grant_versions.expiry_state is 'As zephr.user_grants.expiry_state during this version (Zephr''s word at export time; prefer starts_at/ends_at).';
comment on column zephr.user_grant_versions.starts_at is 'Grant start (startTime) during this version.';
comment on column zephr.user_grant_versions.ends_at is 'Grant end (endTime) during this version; null means indefinite. A grant removed (valid_to set) before this is a revocation.';
comment on column zephr.user_grant_versions.created_at is 'As zephr.user_grants.created_at during this version.';
comment on column zephr.user_grant_versions.grant_extra is 'As zephr.user_grants.grant_extra during this version.';
comment on column zephr.user_grant_versions.grant_user_id is 'As zephr.user_grants.grant_user_id during this version.';
comment on column zephr.user_grant_versions.valid_from is 'Start of the version (inclusive): the export start (zephr.sync_runs.export_started_at) of the run that first delivered the grant in this form; for a version present_at_start, the instant history started.';
comment on column zephr.user_grant_versions.valid_to is 'End of the version (exclusive): the export start of the run that delivered it changed, no longer listed it, or found the user deleted; null while current.';
comment on column zephr.user_grant_versions.present_at_start is 'True for a version that was already in the warehouse when history started (this migration): it held at valid_from, but since when before that is not known.';

-- The instant of the current transaction's versions ---------------------------------------------------

create function zephr.history_version_at() returns timestamptz
language sql stable as $$
  select nullif(current_setting('zephr_sync.version_at', true), '')::timestamptz
$$;
comment on function zephr.history_version_at() is 'The instant the current transaction''s writes are versioned at (setting zephr_sync.version_at, set by zephr-sync for the transaction); null when history is not being recorded.';

-- Triggers ---------------------------------------------------------------------------------------------
-- Every statement of the trigger functions looks versions up by user (and grant) among a few thousand
-- ids, so by index. During a first load the history tables grow faster than their statistics, and the
-- planner, thinking them small, scanned all of them for each batch (a fresh load of 100,000 users took
-- several times longer): `enable_seqscan = off` for these functions keeps the lookups on the indexes.
-- Closing a version at the instant it started (the same user written twice by one run, or by two runs
-- whose exports started in the same second) removes it rather than leaving an empty interval.

create function zephr.record_user_versions() returns trigger
language plpgsql set enable_seqscan = off as $$
declare
  version_at timestamptz := zephr.history_version_at();
  -- The statement's user ids as an array: `user_id = any(ids)` reaches the versions by their index,
  -- where a join with the transition table (no statistics) was planned as a scan of every version.
  ids uuid[];
  deleted_ids uuid[];
begin
  if version_at is null then
    return null;
  end if;
  ids := array(select n.user_id from new_users n);
  deleted_ids := array(select n.user_id from new_users n where n.deleted_at is not null);
  -- A user coming back (its current version records a deletion) holds its stored grants again from
  -- now; the grant statement that follows in the batch versions whatever it changes.
  insert into zephr.user_grant_versions (
    grant_id, user_id, account_id, entitlement_type, entitlement_id, product_id, expiry_state, starts_at,
    ends_at, created_at, grant_extra, grant_user_id, valid_from)
  select g.grant_id, g.user_id, g.account_id, g.entitlement_type, g.entitlement_id, g.product_id,
         g.expiry_state, g.starts_at, g.ends_at, g.created_at, g.grant_extra, g.grant_user_id, version_at
    from zephr.user_versions v
    join new_users n on n.user_id = v.user_id
    join zephr.user_grants g on g.user_id = v.user_id
   where v.user_id = any(ids) and v.valid_to is null and v.deleted_at is not null
     and n.deleted_at is null
     and not exists (
           select from zephr.user_grant_versions o
            where o.user_id = g.user_id and o.grant_id = g.grant_id and o.valid_to is null);
  -- A user deleted by a complete export holds no grant from now.
  if cardinality(deleted_ids) > 0 then
    delete from zephr.user_grant_versions o
     where o.user_id = any(deleted_ids) and o.valid_from >= version_at;
    update zephr.user_grant_versions o
       set valid_to = version_at
     where o.user_id = any(deleted_ids) and (o.valid_to is null or o.valid_to > version_at);
  end if;
  -- The user's version before this one ends now, and this one starts. Versions dated at or after now
  -- are superseded, and one that ends after now ends now: a run whose instant is not later than what
  -- history holds (two runs in the same second, a clock set back) rewrites history from its instant on,
  -- so that versions never overlap and no key repeats.
  delete from zephr.user_versions o
   where o.user_id = any(ids) and o.valid_from >= version_at;
  update zephr.user_versions o
     set valid_to = version_at
   where o.user_id = any(ids) and (o.valid_to is null or o.valid_to > version_at);
  insert into zephr.user_versions (
    user_id, email_address, email_verified, tracking_id, registered_at, registration_tenant, identifiers,
    attributes, seq_no, user_extra, element_extra, content_hash, first_seen_at, last_changed_at,
    last_changed_run_id, deleted_at, valid_from)
  select n.user_id, n.email_address, n.email_verified, n.tracking_id, n.registered_at, n.registration_tenant,
         n.identifiers, n.attributes, n.seq_no, n.user_extra, n.element_extra, n.content_hash, n.first_seen_at,
         n.last_changed_at, n.last_changed_run_id, n.deleted_at, version_at
    from new_users n;
  return null;
end
$$;
comment on function zephr.record_user_versions() is 'Trigger: users inserted or changed by a statement get a new version in zephr.user_versions at zephr.history_version_at() (their previous one ends then); a deletion ends their grants'' versions, a return reopens them. Does nothing when history is not being recorded.';

create trigger users_record_inserted_versions
  after insert on zephr.users
  referencing new table as new_users
  for each statement execute function zephr.record_user_versions();
create trigger users_record_updated_versions
  after update on zephr.users
  referencing new table as new_users
  for each statement execute function zephr.record_user_versions();

create function zephr.record_grant_versions() returns trigger
language plpgsql set enable_seqscan = off as $$
declare
  version_at timestamptz := zephr.history_version_at();
  ids uuid[];
begin
  if version_at is null then
    return null;
  end if;
  ids := array(select distinct t.user_id from new_grants t);
  delete from zephr.user_grant_versions o
   where o.user_id = any(ids) and o.valid_from >= version_at
     and (o.user_id, o.grant_id) in (select n.user_id, n.grant_id from new_grants n);
  update zephr.user_grant_versions o
     set valid_to = version_at
   where o.user_id = any(ids) and (o.valid_to is null or o.valid_to > version_at)
     and (o.user_id, o.grant_id) in (select n.user_id, n.grant_id from new_grants n);
  insert into zephr.user_grant_versions (
    grant_id, user_id, account_id, entitlement_type, entitlement_id, product_id, expiry_state, starts_at,
    ends_at, created_at, grant_extra, grant_user_id, valid_from)
  select n.grant_id, n.user_id, n.account_id, n.entitlement_type, n.entitlement_id, n.product_id,
         n.expiry_state, n.starts_at, n.ends_at, n.created_at, n.grant_extra, n.grant_user_id, version_at
    from new_grants n;
  return null;
end
$$;
comment on function zephr.record_grant_versions() is 'Trigger: grants inserted or changed by a statement get a new version in zephr.user_grant_versions at zephr.history_version_at() (the previous one ends then). Does nothing when history is not being recorded.';

create trigger user_grants_record_inserted_versions
  after insert on zephr.user_grants
  referencing new table as new_grants
  for each statement execute function zephr.record_grant_versions();
create trigger user_grants_record_updated_versions
  after update on zephr.user_grants
  referencing new table as new_grants
  for each statement execute function zephr.record_grant_versions();

create function zephr.end_grant_versions() returns trigger
language plpgsql set enable_seqscan = off as $$
declare
  version_at timestamptz := zephr.history_version_at();
  ids uuid[];
begin
  if version_at is null then
    return null;
  end if;
  ids := array(select distinct t.user_id from old_grants t);
  delete from zephr.user_grant_versions o
   where o.user_id = any(ids) and o.valid_from >= version_at
     and (o.user_id, o.grant_id) in (select d.user_id, d.grant_id from old_grants d);
  update zephr.user_grant_versions o
     set valid_to = version_at
   where o.user_id = any(ids) and (o.valid_to is null or o.valid_to > version_at)
     and (o.user_id, o.grant_id) in (select d.user_id, d.grant_id from old_grants d);
  return null;
end
$$;
comment on function zephr.end_grant_versions() is 'Trigger: grants a user no longer lists (deleted from zephr.user_grants) end their current version at zephr.history_version_at(). Does nothing when history is not being recorded.';

create trigger user_grants_end_deleted_versions
  after delete on zephr.user_grants
  referencing old table as old_grants
  for each statement execute function zephr.end_grant_versions();

-- Erasure: whatever the setting, a user removed from zephr.users (backfill --full --purge-deleted) takes
-- every version of itself and of its grants with it.
create function zephr.erase_user_history() returns trigger
language plpgsql set enable_seqscan = off as $$
begin
  delete from zephr.user_grant_versions o using old_users d where o.user_id = d.user_id;
  delete from zephr.user_versions o using old_users d where o.user_id = d.user_id;
  return null;
end
$$;
comment on function zephr.erase_user_history() is 'Trigger: deleting users (purge) deletes their history in zephr.user_versions and zephr.user_grant_versions, so an erasure request leaves nothing behind.';

create trigger users_erase_history
  after delete on zephr.users
  referencing old table as old_users
  for each statement execute function zephr.erase_user_history();

-- Point in time ---------------------------------------------------------------------------------------
-- SQL functions of one select: the planner inlines them, so a filter on their result reaches the tables
-- and the containment below uses the gist indexes.

create function zephr.users_as_of(as_of timestamptz) returns setof zephr.users
language sql stable parallel safe as $$
  select v.user_id, v.email_address, v.email_verified, v.tracking_id, v.registered_at, v.registration_tenant,
         v.identifiers, v.attributes, v.seq_no, v.user_extra, v.element_extra, v.content_hash, v.first_seen_at,
         v.last_changed_at, v.last_changed_run_id, v.deleted_at
    from zephr.user_versions v
   where tstzrange(v.valid_from, v.valid_to, '[)') @> as_of
     and v.deleted_at is null
$$;
comment on function zephr.users_as_of(timestamptz) is 'The users that existed at the instant as_of, as they stood then: the columns of zephr.users, from the version of each user valid at as_of (zephr.user_versions). Users deleted at that instant are left out. Known from the start of history on: before it, nothing.';

create function zephr.grants_as_of(as_of timestamptz) returns setof zephr.user_grants
language sql stable parallel safe as $$
  select v.grant_id, v.user_id, v.account_id, v.entitlement_type, v.entitlement_id, v.product_id,
         v.expiry_state, v.starts_at, v.ends_at, v.created_at, v.grant_extra, v.grant_user_id
    from zephr.user_grant_versions v
   where tstzrange(v.valid_from, v.valid_to, '[)') @> as_of
$$;
comment on function zephr.grants_as_of(timestamptz) is 'The grants users listed at the instant as_of, as they stood then: the columns of zephr.user_grants, from the version of each valid at as_of (zephr.user_grant_versions). Only grants of users that existed then (a deletion ends them). Whether a grant was in force is starts_at <= as_of < ends_at, as for the current rows.';

create function zephr.daily_active_users(from_day date, to_day date)
returns table (day date, kind text, item_id text, active_users bigint)
language sql stable parallel safe as $$
  with spans as (
    select v.user_id, v.product_id, lower(v.entitlement_type) as entitlement_kind, v.entitlement_id,
           greatest(v.valid_from, coalesce(v.starts_at, '-infinity')) as from_at,
           least(coalesce(v.valid_to, 'infinity'), coalesce(v.ends_at, 'infinity')) as to_at
      from zephr.user_grant_versions v
     where v.valid_from < (to_day + 1)::timestamptz
       and (v.valid_to is null or v.valid_to > from_day::timestamptz)
  ),
  active as materialized (
    select d::date as day, s.user_id, s.product_id, s.entitlement_kind, s.entitlement_id
      from spans s
      cross join lateral generate_series(
             greatest(from_day, s.from_at::date)::timestamp,
             least(to_day, case when s.to_at = s.to_at::date::timestamptz then s.to_at::date - 1
                                else s.to_at::date end)::timestamp,
             interval '1 day') as d
     where s.from_at < s.to_at
  )
  select a.day, 'product', a.product_id, count(distinct a.user_id)
    from active a
   where a.product_id is not null
   group by a.day, a.product_id
  union all
  select a.day, a.entitlement_kind, a.entitlement_id, count(distinct a.user_id)
    from active a
   where a.entitlement_id is not null
   group by a.day, a.entitlement_kind, a.entitlement_id
$$;
comment on function zephr.daily_active_users(date, date) is 'Users holding a grant in force on each day from from_day to to_day (inclusive), per product (kind = ''product'', item_id = product_id) and per what was granted (kind = the entitlement_type: bundle, entitlement, meter or credits; item_id = entitlement_id): a user counts on a day when, at some instant of it, a version of one of their grants was current (zephr.user_grant_versions) and in force (starts_at <= instant < ends_at). Days are those of the session''s time zone (set timezone = ...). Join kind and item_id to zephr.catalogue_items for names. Days before the start of history count nothing.';

-- History starts now ----------------------------------------------------------------------------------
-- What the warehouse holds is what it knew as of the last export that ran; since when each row held
-- before that is not known, so its first version starts at that export's start (or now, for a warehouse
-- that never ran an export), labelled present_at_start rather than dated by a guess.

insert into zephr.user_versions (
  user_id, email_address, email_verified, tracking_id, registered_at, registration_tenant, identifiers,
  attributes, seq_no, user_extra, element_extra, content_hash, first_seen_at, last_changed_at,
  last_changed_run_id, deleted_at, valid_from, present_at_start)
select u.user_id, u.email_address, u.email_verified, u.tracking_id, u.registered_at, u.registration_tenant,
       u.identifiers, u.attributes, u.seq_no, u.user_extra, u.element_extra, u.content_hash, u.first_seen_at,
       u.last_changed_at, u.last_changed_run_id, u.deleted_at,
       coalesce((select max(r.export_started_at) from zephr.sync_runs r), now()), true
  from zephr.users u;

insert into zephr.user_grant_versions (
  grant_id, user_id, account_id, entitlement_type, entitlement_id, product_id, expiry_state, starts_at,
  ends_at, created_at, grant_extra, grant_user_id, valid_from, present_at_start)
select g.grant_id, g.user_id, g.account_id, g.entitlement_type, g.entitlement_id, g.product_id,
       g.expiry_state, g.starts_at, g.ends_at, g.created_at, g.grant_extra, g.grant_user_id,
       coalesce((select max(r.export_started_at) from zephr.sync_runs r), now()), true
  from zephr.user_grants g
  join zephr.users u on u.user_id = g.user_id
 where u.deleted_at is null;

grant select on zephr.user_versions, zephr.user_grant_versions to zephr_analyst;
grant execute on function zephr.users_as_of(timestamptz), zephr.grants_as_of(timestamptz),
  zephr.daily_active_users(date, date), zephr.history_version_at() to zephr_analyst;

-- Down Migration
drop function zephr.daily_active_users(date, date);
drop function zephr.grants_as_of(timestamptz);
drop function zephr.users_as_of(timestamptz);
drop trigger users_erase_history on zephr.users;
drop function zephr.erase_user_history();
drop trigger user_grants_end_deleted_versions on zephr.user_grants;
drop function zephr.end_grant_versions();
drop trigger user_grants_record_updated_versions on zephr.user_grants;
drop trigger user_grants_record_inserted_versions on zephr.user_grants;
drop function zephr.record_grant_versions();
drop trigger users_record_updated_versions on zephr.users;
drop trigger users_record_inserted_versions on zephr.users;
drop function zephr.record_user_versions();
drop function zephr.history_version_at();
drop table zephr.user_grant_versions;
drop table zephr.user_versions;
