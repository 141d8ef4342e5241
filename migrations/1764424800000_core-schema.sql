-- Up Migration

-- Everything zephr-sync owns lives in one schema, so analysts and grants have one place to look.
create schema if not exists zephr;

create table zephr.sync_runs (
  run_id bigint generated always as identity primary key,
  kind text not null check (kind in ('incremental', 'full', 'backfill')),
  status text not null default 'running'
    check (status in ('running', 'succeeded', 'failed', 'cancelled', 'abandoned')),
  since_at timestamptz,
  registered_since_at timestamptz,
  registered_before_at timestamptz,
  started_at timestamptz not null default now(),
  export_started_at timestamptz,
  finished_at timestamptz,
  pages integer not null default 0,
  bytes bigint not null default 0,
  users_received integer not null default 0,
  users_written integer not null default 0,
  attributes_written integer not null default 0,
  grants_written integer not null default 0,
  rejected integer not null default 0,
  error_code text,
  error_message text
);
create index sync_runs_started_at_idx on zephr.sync_runs (started_at desc);
create index sync_runs_status_started_at_idx on zephr.sync_runs (status, started_at desc);

comment on table zephr.sync_runs is 'One row per zephr-sync run (nightly, manual or backfill): what was asked of Zephr, what was loaded, and how it ended.';
comment on column zephr.sync_runs.run_id is 'Run number, increasing.';
comment on column zephr.sync_runs.kind is 'incremental (since = watermark - lookback), full (no since) or backfill (manual window).';
comment on column zephr.sync_runs.status is 'running, succeeded, failed, cancelled (stopped by a signal) or abandoned (process died; marked by the next run).';
comment on column zephr.sync_runs.since_at is 'The since parameter sent to GET /v3/user-export (users updated after it); null for a full export.';
comment on column zephr.sync_runs.registered_since_at is 'The registeredSince parameter sent, if any.';
comment on column zephr.sync_runs.registered_before_at is 'The registeredBefore parameter sent, if any.';
comment on column zephr.sync_runs.started_at is 'When the run started (database clock).';
comment on column zephr.sync_runs.export_started_at is 'When the export started by Zephr''s clock (HTTP Date header of the first page); becomes the watermark on success.';
comment on column zephr.sync_runs.finished_at is 'When the run ended, whatever the outcome; null while running.';
comment on column zephr.sync_runs.pages is 'Export pages fetched and loaded.';
comment on column zephr.sync_runs.bytes is 'Bytes of export JSON received (bytes).';
comment on column zephr.sync_runs.users_received is 'User elements received, including duplicates and rejects.';
comment on column zephr.sync_runs.users_written is 'Users inserted or changed (unchanged users are not rewritten).';
comment on column zephr.sync_runs.attributes_written is 'Attribute rows inserted, changed or removed.';
comment on column zephr.sync_runs.grants_written is 'Grant rows inserted, changed or removed.';
comment on column zephr.sync_runs.rejected is 'Elements that failed validation and went to zephr.sync_rejects.';
comment on column zephr.sync_runs.error_code is 'Stable error code when the run did not succeed (see the README''s exit codes).';
comment on column zephr.sync_runs.error_message is 'What went wrong and what to check; never contains secrets.';

create table zephr.sync_watermarks (
  stream text primary key,
  watermark_at timestamptz not null,
  run_id bigint not null references zephr.sync_runs (run_id) on delete restrict,
  updated_at timestamptz not null default now()
);
comment on table zephr.sync_watermarks is 'Checkpoint per export stream: the next incremental run asks Zephr for changes since watermark_at minus the lookback.';
comment on column zephr.sync_watermarks.stream is 'Which export the watermark is for (users).';
comment on column zephr.sync_watermarks.watermark_at is 'Zephr''s clock when the last complete export started.';
comment on column zephr.sync_watermarks.run_id is 'The run that set it.';
comment on column zephr.sync_watermarks.updated_at is 'When it was set (database clock).';

create table zephr.users (
  user_id uuid primary key,
  email_address text,
  email_verified boolean,
  tracking_id text,
  registered_at timestamptz,
  registration_tenant text,
  identifiers jsonb not null default '{}'::jsonb,
  attributes jsonb not null default '{}'::jsonb,
  seq_no numeric,
  user_extra jsonb not null default '{}'::jsonb,
  element_extra jsonb not null default '{}'::jsonb,
  content_hash bytea not null,
  first_seen_at timestamptz not null default now(),
  last_changed_at timestamptz not null default now(),
  last_changed_run_id bigint references zephr.sync_runs (run_id) on delete set null,
  deleted_at timestamptz
);
comment on table zephr.users is 'One row per Zephr user, as of the last export that delivered them (source: element.user of GET /v3/user-export).';
comment on column zephr.users.user_id is 'Zephr user id (user.user_id).';
comment on column zephr.users.email_address is 'Email identifier (user.identifiers.email_address); null when the user has none.';
comment on column zephr.users.email_verified is 'Whether the email was verified (user.email_verified).';
comment on column zephr.users.tracking_id is 'Zephr tracking id (user.tracking_id).';
comment on column zephr.users.registered_at is 'Registration instant (user.registered).';
comment on column zephr.users.registration_tenant is 'Tenant and site the user registered on (user.registration_tenant).';
comment on column zephr.users.identifiers is 'All identifiers as received (user.identifiers).';
comment on column zephr.users.attributes is 'All attributes as received (user.attributes): {slug: value}; one row each in zephr.user_attributes.';
comment on column zephr.users.seq_no is 'Zephr''s seq-no for the element; undocumented meaning, kept as received.';
comment on column zephr.users.user_extra is 'Keys of element.user that are not modelled above (e.g. last_login, registration_state), as received.';
comment on column zephr.users.element_extra is 'Keys of the element besides user, grants and seq-no (e.g. foreign keys, extended profiles), as received.';
comment on column zephr.users.content_hash is 'SHA-256 of the user''s normalized state; an unchanged user is not rewritten.';
comment on column zephr.users.first_seen_at is 'When zephr-sync first loaded this user.';
comment on column zephr.users.last_changed_at is 'When an export last delivered a change to this user (identical re-deliveries do not count).';
comment on column zephr.users.last_changed_run_id is 'The run that made that change.';
comment on column zephr.users.deleted_at is 'When a complete export last found the user gone; null while the user exists.';

create table zephr.user_attributes (
  user_id uuid not null references zephr.users (user_id) on delete cascade,
  name text not null,
  value jsonb not null,
  primary key (user_id, name)
);
comment on table zephr.user_attributes is 'One row per user and attribute (source: user.attributes); an attribute removed in Zephr is removed here.';
comment on column zephr.user_attributes.user_id is 'The user (zephr.users.user_id).';
comment on column zephr.user_attributes.name is 'Attribute slug as defined in the tenant''s user schema (may contain dashes).';
comment on column zephr.user_attributes.value is 'Attribute value as received (JSON: checkboxes often arrive as the strings "true"/"false").';

create table zephr.user_grants (
  grant_id text primary key,
  user_id uuid not null references zephr.users (user_id) on delete cascade,
  account_id text,
  entitlement_type text,
  entitlement_id text,
  product_id text,
  expiry_state text,
  starts_at timestamptz,
  ends_at timestamptz,
  created_at timestamptz,
  grant_extra jsonb not null default '{}'::jsonb
);
create index user_grants_user_id_idx on zephr.user_grants (user_id);
comment on table zephr.user_grants is 'One row per grant of a user (source: element.grants.results); a grant no longer listed is removed.';
comment on column zephr.user_grants.grant_id is 'Zephr grant id (grantId or grant_id).';
comment on column zephr.user_grants.user_id is 'The user whose export element listed the grant.';
comment on column zephr.user_grants.account_id is 'Company account the grant came through, if any (account_id).';
comment on column zephr.user_grants.entitlement_type is 'bundle, entitlement, meter or credits (entitlement_type): which catalogue entitlement_id belongs to.';
comment on column zephr.user_grants.entitlement_id is 'What was granted (entitlement_id), in the catalogue named by entitlement_type.';
comment on column zephr.user_grants.product_id is 'The product the grant belongs to (product_id).';
comment on column zephr.user_grants.expiry_state is 'pending, active or expired as Zephr computed it at export time (expiry_state).';
comment on column zephr.user_grants.starts_at is 'Grant start (startTime; Zephr sends it without a zone, read as ZEPHR_TIMEZONE, UTC by default).';
comment on column zephr.user_grants.ends_at is 'Grant end (endTime, same zone rule); null means indefinite.';
comment on column zephr.user_grants.created_at is 'When the grant was created (createdAt or created_at, same zone rule).';
comment on column zephr.user_grants.grant_extra is 'Keys of the grant that are not modelled above, as received (including the grant''s own user_id).';

create table zephr.sync_rejects (
  reject_id bigint generated always as identity primary key,
  run_id bigint not null references zephr.sync_runs (run_id) on delete cascade,
  page integer not null,
  user_id text,
  reason text not null,
  element text not null,
  rejected_at timestamptz not null default now()
);
create index sync_rejects_run_id_idx on zephr.sync_rejects (run_id);
comment on table zephr.sync_rejects is 'Export elements that failed validation: not loaded, kept verbatim with the reason so they can be fixed in Zephr or reported.';
comment on column zephr.sync_rejects.reject_id is 'Reject number, increasing.';
comment on column zephr.sync_rejects.run_id is 'The run that received the element.';
comment on column zephr.sync_rejects.page is 'Export page (1-based) the element came on.';
comment on column zephr.sync_rejects.user_id is 'user.user_id as found (may be missing or not a UUID: that is often the reason).';
comment on column zephr.sync_rejects.reason is 'Every validation problem found, separated by "; ".';
comment on column zephr.sync_rejects.element is 'The element as received, as JSON text (text, not jsonb, so that anything can be kept).';
comment on column zephr.sync_rejects.rejected_at is 'When it was rejected.';

-- Down Migration
drop schema zephr cascade;
