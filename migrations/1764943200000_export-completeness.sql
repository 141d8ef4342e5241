-- Up Migration
-- The total an export's envelope stated (meta.count), so that a run that received fewer users than Zephr
-- said it holds is visible as such: such a run fails (EXPORT_INCOMPLETE) and keeps the watermark.
alter table zephr.sync_runs add column expected_count integer;
comment on column zephr.sync_runs.expected_count is 'The number of users Zephr said the export holds (meta.count of the first page that stated one); null when the envelope states none (a bare array). A run that received fewer, beyond SYNC_COUNT_TOLERANCE, failed with EXPORT_INCOMPLETE.';

-- Down Migration
alter table zephr.sync_runs drop column expected_count;
