-- Up Migration

-- A registration-window backfill walks [registered_since_at, registered_before_at) in chunks; each chunk is
-- one run, and next_window_at is the checkpoint `backfill --resume` continues from.
create table zephr.sync_backfills (
  backfill_id bigint generated always as identity primary key,
  registered_since_at timestamptz not null,
  registered_before_at timestamptz not null,
  chunk interval not null check (chunk > interval '0'),
  next_window_at timestamptz not null,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed', 'cancelled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  check (registered_since_at < registered_before_at)
);
create index sync_backfills_created_at_idx on zephr.sync_backfills (created_at desc);

comment on table zephr.sync_backfills is 'Registration-window backfills (backfill --registered-since): one row per backfill, checkpointed window by window.';
comment on column zephr.sync_backfills.backfill_id is 'Backfill number, increasing.';
comment on column zephr.sync_backfills.registered_since_at is 'Start of the registration range asked for (inclusive).';
comment on column zephr.sync_backfills.registered_before_at is 'End of the registration range asked for (exclusive).';
comment on column zephr.sync_backfills.chunk is 'Length of each window (--chunk).';
comment on column zephr.sync_backfills.next_window_at is 'Start of the first window not yet loaded: where --resume continues.';
comment on column zephr.sync_backfills.status is 'running (or interrupted: resumable), succeeded, failed (resumable) or cancelled (resumable).';
comment on column zephr.sync_backfills.created_at is 'When the backfill was started.';
comment on column zephr.sync_backfills.updated_at is 'When its checkpoint last moved.';
comment on column zephr.sync_backfills.finished_at is 'When it last stopped, whatever the outcome.';

alter table zephr.sync_runs add column backfill_id bigint references zephr.sync_backfills (backfill_id) on delete set null;
create index sync_runs_backfill_id_idx on zephr.sync_runs (backfill_id) where backfill_id is not null;
comment on column zephr.sync_runs.backfill_id is 'The registration-window backfill this run is a window of, if any.';

alter table zephr.sync_runs add column users_deleted integer not null default 0;
comment on column zephr.sync_runs.users_deleted is 'Full exports only: users marked deleted because the complete export no longer listed them.';

create index users_deleted_at_idx on zephr.users (deleted_at) where deleted_at is not null;

-- Down Migration
drop index zephr.users_deleted_at_idx;
alter table zephr.sync_runs drop column users_deleted;
alter table zephr.sync_runs drop column backfill_id;
drop table zephr.sync_backfills;
