-- Up Migration
-- The total an export's envelope stated (meta.count), so that a run that received fewer users than Zephr
-- said it holds is visible as such: such a run fails (EXPORT_INCOMPLETE) and keeps the watermark.
alter table zephr.sync_runs add column expected_count integer;
comment on column zephr.sync_runs.expected_count is 'The number of users Zephr said the export holds (meta.count of the first page that stated one); null when the envelope states none (a bare array). A run that received fewer, beyond SYNC_COUNT_TOLERANCE, failed with EXPORT_INCOMPLETE.';

-- The export's start is Zephr's clock only within ZEPHR_MAX_CLOCK_SKEW of ours (a Date header far ahead
-- must not become the watermark): the comments say so.
comment on column zephr.sync_runs.export_started_at is 'When the export started: Zephr''s clock (HTTP Date header of the first page), but never later than this machine''s clock at that request plus ZEPHR_MAX_CLOCK_SKEW (then this machine''s clock is used); becomes the watermark on success.';
comment on column zephr.sync_watermarks.watermark_at is 'When the last complete export started (zephr.sync_runs.export_started_at of that run).';

-- Down Migration
comment on column zephr.sync_watermarks.watermark_at is 'Zephr''s clock when the last complete export started.';
comment on column zephr.sync_runs.export_started_at is 'When the export started by Zephr''s clock (HTTP Date header of the first page); becomes the watermark on success.';
alter table zephr.sync_runs drop column expected_count;
