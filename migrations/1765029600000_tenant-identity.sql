-- Up Migration

-- A warehouse mirrors one Zephr tenant. Runs against a second tenant on the same database used to mix
-- them silently: its incremental run found nothing and moved the first tenant's watermark, and its full
-- export marked all of the first tenant's users deleted. The tenant is remembered here at the first
-- run, and every run after it checks ZEPHR_BASE_URL against it before it writes anything.
create table zephr.sync_tenants (
  only_row boolean primary key default true check (only_row),
  base_url text not null,
  bound_at timestamptz not null default now()
);
comment on table zephr.sync_tenants is 'The Zephr tenant this warehouse mirrors (one row): a run whose ZEPHR_BASE_URL names another tenant is refused before it writes anything.';
comment on column zephr.sync_tenants.only_row is 'Always true: keeps the table to one row.';
comment on column zephr.sync_tenants.base_url is 'The tenant''s API base URL as configured in ZEPHR_BASE_URL, normalized: scheme, lowercase host, port (when not the default), path without a trailing slash.';
comment on column zephr.sync_tenants.bound_at is 'When the warehouse was bound to this tenant: its first run, or a later re-binding of a warehouse that held no user and no succeeded run (database clock).';

-- Down Migration
drop table zephr.sync_tenants;
