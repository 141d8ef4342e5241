-- Up Migration

-- `zephr-sync load FILE…` loads export files saved from the Admin Console (or a saved API page) in a run
-- of its own kind, so analysts can tell a file's users from the API's. The files are named on the run
-- row by basename and size only: their contents (user data) never land here.
alter table zephr.sync_runs drop constraint sync_runs_kind_check;
alter table zephr.sync_runs
  add constraint sync_runs_kind_check check (kind in ('incremental', 'full', 'backfill', 'file')),
  add column files jsonb;
comment on column zephr.sync_runs.kind is 'incremental (since = watermark - lookback), full (no since), backfill (manual window) or file (export files loaded by zephr-sync load; see files).';
comment on column zephr.sync_runs.files is 'file runs only: the files loaded, in order, as a JSON array of {"name": basename ("-" for standard input), "bytes": size as read}; null for runs that read the API.';

-- Down Migration
alter table zephr.sync_runs drop column files;
alter table zephr.sync_runs drop constraint sync_runs_kind_check;
alter table zephr.sync_runs
  add constraint sync_runs_kind_check check (kind in ('incremental', 'full', 'backfill'));
