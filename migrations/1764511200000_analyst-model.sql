-- Up Migration

-- What analysts need on top of the raw tables: the names of what Zephr grants (its catalogue) and of the
-- user attributes (its user schema), the subscriber state events, views that answer the usual questions
-- correctly (who exists now, which grants are in force now, what a grant is called, typed attributes),
-- indexes for what analysts filter on, and a read-only role to hand out.

-- Catalogue -------------------------------------------------------------------------------------------

create table zephr.catalogue_items (
  kind text not null check (kind in ('product', 'bundle', 'entitlement', 'meter', 'credits')),
  item_id text not null,
  label text,
  item jsonb not null,
  first_seen_at timestamptz not null default now(),
  refreshed_at timestamptz not null default now(),
  removed_at timestamptz,
  primary key (kind, item_id)
);
comment on table zephr.catalogue_items is 'What a grant can refer to, with its name: one row per item of Zephr''s product, bundle, entitlement, meter and credits catalogues (source: GET /v3/products, /v3/bundles, /v3/entitlements, /v3/meters, /v3/credits, refreshed by every run). Items that vanish from a listing are kept and flagged in removed_at, so old grants keep their names.';
comment on column zephr.catalogue_items.kind is 'Which catalogue: product (/v3/products), bundle (/v3/bundles), entitlement (/v3/entitlements), meter (/v3/meters) or credits (/v3/credits). Equals user_grants.entitlement_type for what a grant grants; product for user_grants.product_id.';
comment on column zephr.catalogue_items.item_id is 'The item''s id in Zephr (the item''s id field; else <kind>_id, <kind>Id or uuid). Join user_grants.entitlement_id or user_grants.product_id to it.';
comment on column zephr.catalogue_items.label is 'Human-readable name (the item''s label field; else name, title or slug); null when the item has none.';
comment on column zephr.catalogue_items.item is 'The item as Zephr listed it (JSON), with every field, known or not.';
comment on column zephr.catalogue_items.first_seen_at is 'When a refresh first listed the item (database clock).';
comment on column zephr.catalogue_items.refreshed_at is 'When a successful refresh of its catalogue last listed the item (database clock).';
comment on column zephr.catalogue_items.removed_at is 'When a successful refresh of its catalogue first no longer listed the item; null while Zephr lists it.';

create table zephr.user_attribute_definitions (
  slug text primary key,
  label text,
  input_type text,
  definition jsonb not null,
  first_seen_at timestamptz not null default now(),
  refreshed_at timestamptz not null default now(),
  removed_at timestamptz
);
comment on table zephr.user_attribute_definitions is 'The tenant''s user schema: one row per user attribute Zephr defines, with its label and input type (source: GET /v3/schema/users, refreshed by every run). Definitions that vanish are kept and flagged in removed_at.';
comment on column zephr.user_attribute_definitions.slug is 'Attribute slug (the definition''s slug field): the name used in zephr.user_attributes.name and users.attributes.';
comment on column zephr.user_attribute_definitions.label is 'Label shown on Zephr''s forms (label; else name or title).';
comment on column zephr.user_attribute_definitions.input_type is 'Form input type as Zephr declares it (input-type; else inputType, input_type or type), e.g. text, select, checkbox, number, date. Decides the casts of zephr.user_attributes_typed.';
comment on column zephr.user_attribute_definitions.definition is 'The definition as Zephr listed it (JSON), with every field (required, options, …).';
comment on column zephr.user_attribute_definitions.first_seen_at is 'When a refresh first listed the attribute (database clock).';
comment on column zephr.user_attribute_definitions.refreshed_at is 'When a successful refresh last listed the attribute (database clock).';
comment on column zephr.user_attribute_definitions.removed_at is 'When a successful refresh first no longer listed the attribute; null while Zephr defines it.';

create table zephr.catalogue_sources (
  endpoint text primary key,
  kind text not null,
  last_attempted_at timestamptz not null,
  last_succeeded_at timestamptz,
  items integer,
  last_error text
);
comment on table zephr.catalogue_sources is 'One row per catalogue endpoint zephr-sync reads (the five catalogues and the user schema): when it was last read and whether that worked, so stale or missing names can be explained.';
comment on column zephr.catalogue_sources.endpoint is 'The Admin API path, e.g. /v3/products or /v3/schema/users.';
comment on column zephr.catalogue_sources.kind is 'What it lists: product, bundle, entitlement, meter, credits, or user_schema.';
comment on column zephr.catalogue_sources.last_attempted_at is 'When a run last tried to read it (database clock).';
comment on column zephr.catalogue_sources.last_succeeded_at is 'When a run last read it completely; null if it never worked.';
comment on column zephr.catalogue_sources.items is 'Items (or attribute definitions) the last successful read listed (count).';
comment on column zephr.catalogue_sources.last_error is 'Why the last attempt failed (e.g. Zephr answered 403: the key pair''s admin user lacks the privilege); null when it succeeded.';

-- State events ----------------------------------------------------------------------------------------

create table zephr.user_state_events (
  event_id bigint generated always as identity primary key,
  row_hash bytea not null unique,
  user_id uuid,
  event_type text,
  state text,
  previous_state text,
  product_id text,
  occurred_at timestamptz,
  row jsonb not null,
  loaded_at timestamptz not null default now(),
  run_id bigint references zephr.sync_runs (run_id) on delete set null
);
create index user_state_events_user_id_idx on zephr.user_state_events (user_id, occurred_at);
create index user_state_events_occurred_at_idx on zephr.user_state_events (occurred_at);
comment on table zephr.user_state_events is 'Subscriber state events, one row per CSV row of the state events export (source: GET /v4/user-export?eventsExport=true&from=…&to=…; loaded only with ZEPHR_STATE_EVENTS=true). Zephr does not document the columns: every column is kept in row, the recognised ones are also typed here. Identical rows are stored once.';
comment on column zephr.user_state_events.event_id is 'Load order number, increasing (not Zephr''s).';
comment on column zephr.user_state_events.row_hash is 'SHA-256 of the row''s canonical JSON (keys sorted): the deduplication key, so overlapping or repeated loads add nothing.';
comment on column zephr.user_state_events.user_id is 'The user (CSV column user_id, userId or user id), when it is a UUID; otherwise null and only in row.';
comment on column zephr.user_state_events.event_type is 'What happened (CSV column event, event_type, event_name or type).';
comment on column zephr.user_state_events.state is 'The state after the event (CSV column state, new_state, to_state, current_state, subscriber_state or status).';
comment on column zephr.user_state_events.previous_state is 'The state before the event (CSV column previous_state, old_state, from_state or prior_state).';
comment on column zephr.user_state_events.product_id is 'The product concerned, if the CSV has a product_id column; joins zephr.catalogue_items (kind product).';
comment on column zephr.user_state_events.occurred_at is 'When the event happened (CSV column timestamp, event_time, occurred_at, created_at, date or time; zone-less times read as ZEPHR_TIMEZONE, epoch numbers as seconds or milliseconds); null when absent or unreadable.';
comment on column zephr.user_state_events.row is 'The CSV row as received: {header: value} with every column as text (duplicate headers get _2, _3…; unnamed or surplus columns are column_<n>).';
comment on column zephr.user_state_events.loaded_at is 'When zephr-sync first loaded the row (database clock).';
comment on column zephr.user_state_events.run_id is 'The run that first loaded the row.';

create table zephr.state_event_loads (
  load_id bigint generated always as identity primary key,
  run_id bigint references zephr.sync_runs (run_id) on delete cascade,
  from_at timestamptz not null,
  to_at timestamptz not null,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  windows integer not null default 0,
  rows_received integer not null default 0,
  rows_inserted integer not null default 0,
  error_code text,
  error_message text
);
create index state_event_loads_run_id_idx on zephr.state_event_loads (run_id);
comment on table zephr.state_event_loads is 'One row per state events phase of a run (ZEPHR_STATE_EVENTS=true): the range asked for and how it went. A failed phase never undoes the run''s user data.';
comment on column zephr.state_event_loads.load_id is 'Load number, increasing.';
comment on column zephr.state_event_loads.run_id is 'The run the phase belonged to.';
comment on column zephr.state_event_loads.from_at is 'Start of the range asked for (the from parameter of the first window): the state_events watermark minus SYNC_LOOKBACK.';
comment on column zephr.state_event_loads.to_at is 'End of the range asked for (the to parameter of the last window).';
comment on column zephr.state_event_loads.status is 'running, succeeded or failed (see error_message).';
comment on column zephr.state_event_loads.started_at is 'When the phase started (database clock).';
comment on column zephr.state_event_loads.finished_at is 'When it ended; null while running.';
comment on column zephr.state_event_loads.windows is 'Windows (one request each) loaded completely; the watermark moves after each.';
comment on column zephr.state_event_loads.rows_received is 'CSV rows received (count), duplicates included.';
comment on column zephr.state_event_loads.rows_inserted is 'Rows new to zephr.user_state_events (count).';
comment on column zephr.state_event_loads.error_code is 'Stable error code when the phase failed.';
comment on column zephr.state_event_loads.error_message is 'Why it failed ("State events export failed: …"); null otherwise.';

comment on column zephr.sync_watermarks.stream is 'Which export the watermark is for: users (GET /v3/user-export) or state_events (GET /v4/user-export?eventsExport=true).';

-- Safe casts for attribute values ---------------------------------------------------------------------
-- PL/pgSQL rather than SQL so that a constant argument is never folded into a failing cast at plan time;
-- the checks make every cast safe, so no exception block (a subtransaction per call) is needed.

create function zephr.try_boolean(value jsonb) returns boolean
language plpgsql immutable parallel safe as $$
begin
  if jsonb_typeof(value) = 'boolean' then
    return (value #>> '{}')::boolean;
  elsif jsonb_typeof(value) = 'string' then
    return case lower(btrim(value #>> '{}'))
      when 'true' then true when 'yes' then true when 'on' then true when '1' then true
      when 'false' then false when 'no' then false when 'off' then false when '0' then false
    end;
  elsif jsonb_typeof(value) = 'number' then
    return case (value #>> '{}')::numeric when 1 then true when 0 then false end;
  end if;
  return null;
end $$;
comment on function zephr.try_boolean(jsonb) is 'An attribute value as boolean: true/false, or the strings true/false, yes/no, on/off, 1/0 (any case); null for anything else. Never fails.';

create function zephr.try_numeric(value jsonb) returns numeric
language plpgsql immutable parallel safe as $$
declare
  text_value text := btrim(value #>> '{}');
begin
  if jsonb_typeof(value) = 'number' then
    return text_value::numeric;
  elsif jsonb_typeof(value) = 'string' and length(text_value) <= 1000
        and text_value ~ '^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,4})?$' then
    return text_value::numeric;
  end if;
  return null;
end $$;
comment on function zephr.try_numeric(jsonb) is 'An attribute value as numeric: a JSON number, or a string holding a decimal number (e.g. "42", "-3.5", "1e3"); null for anything else. Never fails.';

create function zephr.try_date(value jsonb) returns date
language plpgsql immutable parallel safe as $$
declare
  text_value text := btrim(value #>> '{}');
  y integer;
  m integer;
  d integer;
begin
  if jsonb_typeof(value) <> 'string' or text_value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}($|[T ])' then
    return null;
  end if;
  y := substr(text_value, 1, 4)::integer;
  m := substr(text_value, 6, 2)::integer;
  d := substr(text_value, 9, 2)::integer;
  if y < 1 or m < 1 or m > 12 or d < 1 then
    return null;
  end if;
  if d > extract(day from make_date(y, m, 1) + interval '1 month - 1 day') then
    return null;
  end if;
  return make_date(y, m, d);
end $$;
comment on function zephr.try_date(jsonb) is 'An attribute value as date: a string starting YYYY-MM-DD (a time after it is ignored) that names a real day; null for anything else. Never fails.';

-- Views ------------------------------------------------------------------------------------------------

create view zephr.current_users as
select u.user_id, u.email_address, u.email_verified, u.tracking_id, u.registered_at, u.registration_tenant,
       u.identifiers, u.attributes, u.seq_no, u.user_extra, u.element_extra, u.first_seen_at,
       u.last_changed_at
  from zephr.users u
 where u.deleted_at is null;
comment on view zephr.current_users is 'Users that exist in Zephr now (zephr.users without those a complete export found deleted). Start here.';
comment on column zephr.current_users.user_id is 'Zephr user id (user.user_id).';
comment on column zephr.current_users.email_address is 'Email identifier (user.identifiers.email_address); compare with lower(email_address) = lower(…) to use the index.';
comment on column zephr.current_users.email_verified is 'Whether the email was verified (user.email_verified).';
comment on column zephr.current_users.tracking_id is 'Zephr tracking id (user.tracking_id).';
comment on column zephr.current_users.registered_at is 'Registration instant (user.registered).';
comment on column zephr.current_users.registration_tenant is 'Tenant and site the user registered on (user.registration_tenant).';
comment on column zephr.current_users.identifiers is 'All identifiers as received (user.identifiers).';
comment on column zephr.current_users.attributes is 'All attributes as received (user.attributes): {slug: value}; typed one per row in zephr.user_attributes_typed.';
comment on column zephr.current_users.seq_no is 'Zephr''s seq-no for the element; undocumented meaning, kept as received.';
comment on column zephr.current_users.user_extra is 'Keys of element.user that are not modelled (e.g. last_login), as received.';
comment on column zephr.current_users.element_extra is 'Keys of the element besides user, grants and seq-no (e.g. foreign keys), as received.';
comment on column zephr.current_users.first_seen_at is 'When zephr-sync first loaded this user.';
comment on column zephr.current_users.last_changed_at is 'When an export last delivered a change to this user.';

create view zephr.grant_details as
select g.grant_id, g.user_id, u.email_address, g.entitlement_type, g.entitlement_id,
       granted.label as granted_label, g.product_id, product.label as product_label, g.account_id,
       g.starts_at, g.ends_at, g.created_at,
       case
         when g.starts_at > now() then 'pending'
         when g.ends_at <= now() then 'expired'
         else 'active'
       end as state_now,
       g.expiry_state as export_expiry_state,
       u.deleted_at is not null as user_deleted
  from zephr.user_grants g
  join zephr.users u on u.user_id = g.user_id
  left join zephr.catalogue_items granted
    on granted.kind = lower(g.entitlement_type) and granted.item_id = g.entitlement_id
  left join zephr.catalogue_items product
    on product.kind = 'product' and product.item_id = g.product_id;
comment on view zephr.grant_details is 'Every grant with the names of what it grants (from zephr.catalogue_items) and its state computed now from starts_at/ends_at.';
comment on column zephr.grant_details.grant_id is 'Zephr grant id (grantId or grant_id).';
comment on column zephr.grant_details.user_id is 'The user holding the grant.';
comment on column zephr.grant_details.email_address is 'The user''s email (user.identifiers.email_address), for convenience.';
comment on column zephr.grant_details.entitlement_type is 'bundle, entitlement, meter or credits (entitlement_type): the catalogue entitlement_id belongs to.';
comment on column zephr.grant_details.entitlement_id is 'What was granted (entitlement_id).';
comment on column zephr.grant_details.granted_label is 'Name of what was granted: the label of entitlement_id in the catalogue named by entitlement_type (GET /v3/bundles, /v3/entitlements, /v3/meters or /v3/credits); null when the catalogue does not list it or could not be read.';
comment on column zephr.grant_details.product_id is 'The product the grant belongs to (product_id).';
comment on column zephr.grant_details.product_label is 'Name of the product (label in GET /v3/products); null when unknown.';
comment on column zephr.grant_details.account_id is 'Company account the grant came through, if any (account_id).';
comment on column zephr.grant_details.starts_at is 'Grant start (startTime).';
comment on column zephr.grant_details.ends_at is 'Grant end (endTime); null means indefinite.';
comment on column zephr.grant_details.created_at is 'When the grant was created (createdAt or created_at).';
comment on column zephr.grant_details.state_now is 'pending (starts_at in the future), active (started, not yet ended) or expired (ends_at passed), computed at query time; a missing starts_at counts as started.';
comment on column zephr.grant_details.export_expiry_state is 'pending, active or expired as Zephr computed it when the user was last exported (expiry_state): stale for users not re-exported since; prefer state_now.';
comment on column zephr.grant_details.user_deleted is 'True when the user no longer exists in Zephr (users.deleted_at is set).';

create view zephr.active_grants as
select d.grant_id, d.user_id, d.email_address, d.entitlement_type, d.entitlement_id, d.granted_label,
       d.product_id, d.product_label, d.account_id, d.starts_at, d.ends_at, d.created_at
  from zephr.grant_details d
 where (d.starts_at is null or d.starts_at <= now())
   and (d.ends_at is null or d.ends_at > now())
   and not d.user_deleted;
comment on view zephr.active_grants is 'Grants in force now, of users that exist: starts_at <= now() (or no start) and ends_at > now() (or no end), computed at query time rather than taken from the export-time expiry_state.';
comment on column zephr.active_grants.grant_id is 'Zephr grant id (grantId or grant_id).';
comment on column zephr.active_grants.user_id is 'The user holding the grant.';
comment on column zephr.active_grants.email_address is 'The user''s email (user.identifiers.email_address).';
comment on column zephr.active_grants.entitlement_type is 'bundle, entitlement, meter or credits (entitlement_type).';
comment on column zephr.active_grants.entitlement_id is 'What was granted (entitlement_id).';
comment on column zephr.active_grants.granted_label is 'Name of what was granted (label in the catalogue named by entitlement_type); null when unknown.';
comment on column zephr.active_grants.product_id is 'The product the grant belongs to (product_id).';
comment on column zephr.active_grants.product_label is 'Name of the product (label in GET /v3/products); null when unknown.';
comment on column zephr.active_grants.account_id is 'Company account the grant came through, if any (account_id).';
comment on column zephr.active_grants.starts_at is 'Grant start (startTime).';
comment on column zephr.active_grants.ends_at is 'Grant end (endTime); null means indefinite.';
comment on column zephr.active_grants.created_at is 'When the grant was created (createdAt or created_at).';

create view zephr.user_attributes_typed as
select a.user_id, a.name, d.label, d.input_type, a.value,
       a.value #>> '{}' as text_value,
       case when lower(d.input_type) in ('checkbox', 'boolean', 'toggle', 'switch')
            then zephr.try_boolean(a.value) end as boolean_value,
       case when lower(d.input_type) in ('number', 'numeric', 'integer', 'decimal', 'range')
            then zephr.try_numeric(a.value) end as numeric_value,
       case when lower(d.input_type) in ('date', 'datetime', 'datetime-local', 'birthday')
            then zephr.try_date(a.value) end as date_value
  from zephr.user_attributes a
  left join zephr.user_attribute_definitions d on d.slug = a.name;
comment on view zephr.user_attributes_typed is 'One row per user and attribute (zephr.user_attributes) with its label and input type from the user schema (GET /v3/schema/users) and the value cast by that type. A value that does not fit its type gives null in the typed column, never an error.';
comment on column zephr.user_attributes_typed.user_id is 'The user (zephr.users.user_id).';
comment on column zephr.user_attributes_typed.name is 'Attribute slug (key of user.attributes).';
comment on column zephr.user_attributes_typed.label is 'The attribute''s label in the user schema; null when the schema does not define it (or could not be read).';
comment on column zephr.user_attributes_typed.input_type is 'The attribute''s input type in the user schema (input-type); null when unknown.';
comment on column zephr.user_attributes_typed.value is 'The value as received (JSON).';
comment on column zephr.user_attributes_typed.text_value is 'The value as text (a JSON string unquoted; numbers and booleans as written).';
comment on column zephr.user_attributes_typed.boolean_value is 'For checkbox (or boolean) attributes: the value as boolean (true, "true", "yes", "1" … → true); null otherwise or when unreadable.';
comment on column zephr.user_attributes_typed.numeric_value is 'For number attributes: the value as numeric when it is a number or a numeric string; null otherwise.';
comment on column zephr.user_attributes_typed.date_value is 'For date attributes: the value as date when it starts YYYY-MM-DD and names a real day; null otherwise.';

-- Indexes for what analysts filter on -----------------------------------------------------------------
-- Hash indexes where a value can be long: a btree entry over ~2.7 kB would make the user load fail.

create index users_email_address_lower_idx on zephr.users using hash (lower(email_address));
create index users_registered_at_idx on zephr.users (registered_at);
create index user_grants_ends_at_idx on zephr.user_grants (ends_at);
create index user_grants_entitlement_id_idx on zephr.user_grants (entitlement_id);
create index user_grants_product_id_idx on zephr.user_grants (product_id);
create index user_attributes_name_idx on zephr.user_attributes (name);
create index user_attributes_value_text_idx on zephr.user_attributes using hash ((value #>> '{}'));

-- node-pg-migrate's bookkeeping table lives in the schema too; say what it is.
do $$
begin
  if to_regclass('zephr.pgmigrations') is not null then
    execute $c$comment on table zephr.pgmigrations is 'Migrations applied to this schema (node-pg-migrate''s bookkeeping). Not for analysis.'$c$;
    execute $c$comment on column zephr.pgmigrations.id is 'Row number.'$c$;
    execute $c$comment on column zephr.pgmigrations.name is 'Migration file name without .sql.'$c$;
    execute $c$comment on column zephr.pgmigrations.run_on is 'When it was applied (server local time).'$c$;
  end if;
end $$;

-- Read-only role ---------------------------------------------------------------------------------------
-- Roles are cluster-wide: another database of the cluster may have created it already.

do $$
begin
  if not exists (select from pg_roles where rolname = 'zephr_analyst') then
    if not exists (select from pg_roles where rolname = current_user and (rolcreaterole or rolsuper)) then
      raise exception 'role zephr_analyst does not exist and % may not create roles', current_user
        using hint = 'Ask a database administrator to run: create role zephr_analyst nologin; then run zephr-sync migrate again.';
    end if;
    begin
      create role zephr_analyst nologin;
      comment on role zephr_analyst is 'Read-only access to the zephr-sync warehouse (schema zephr). Grant it to people: grant zephr_analyst to alice;';
    exception when duplicate_object or unique_violation then
      null; -- created concurrently by a migration of another database
    end;
  end if;
end $$;

grant usage on schema zephr to zephr_analyst;
grant select on all tables in schema zephr to zephr_analyst;
-- Tables and views later migrations create (as the migrating role) are readable too.
alter default privileges in schema zephr grant select on tables to zephr_analyst;

-- Down Migration
alter default privileges in schema zephr revoke select on tables from zephr_analyst;
revoke select on all tables in schema zephr from zephr_analyst;
revoke usage on schema zephr from zephr_analyst;
-- The role itself stays: it is cluster-wide and other databases may use it.
drop index zephr.user_attributes_value_text_idx;
drop index zephr.user_attributes_name_idx;
drop index zephr.user_grants_product_id_idx;
drop index zephr.user_grants_entitlement_id_idx;
drop index zephr.user_grants_ends_at_idx;
drop index zephr.users_registered_at_idx;
drop index zephr.users_email_address_lower_idx;
drop view zephr.user_attributes_typed;
drop view zephr.active_grants;
drop view zephr.grant_details;
drop view zephr.current_users;
drop function zephr.try_date(jsonb);
drop function zephr.try_numeric(jsonb);
drop function zephr.try_boolean(jsonb);
comment on column zephr.sync_watermarks.stream is 'Which export the watermark is for (users).';
drop table zephr.state_event_loads;
drop table zephr.user_state_events;
drop table zephr.catalogue_sources;
drop table zephr.user_attribute_definitions;
drop table zephr.catalogue_items;
