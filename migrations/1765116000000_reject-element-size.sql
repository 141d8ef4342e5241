-- Up Migration

-- A rejected element is kept as received, up to a size cap (src/sync/reject-row.ts, 256 KiB of UTF-8):
-- beyond it the text is cut, and these columns say so, instead of the element silently losing what did
-- not fit. Rows from before this migration were kept whole (or as rebuilt): not truncated, size unknown.
alter table zephr.sync_rejects
  add column element_truncated boolean not null default false,
  add column element_bytes integer;
comment on column zephr.sync_rejects.element is 'The element as received, as compact JSON text (whitespace between tokens dropped, string escapes rewritten; keys, their order and repeats, numbers and nesting as received; bytes that were not UTF-8 as U+FFFD). Text, not jsonb, so that anything can be kept. Cut after 262144 bytes of UTF-8 when element_truncated.';
comment on column zephr.sync_rejects.element_truncated is 'True when element holds only the first 262144 bytes (UTF-8) of the element: the rest was cut to bound the table. element_bytes is the full size.';
comment on column zephr.sync_rejects.element_bytes is 'Size of the whole element''s compact JSON in bytes (UTF-8), whether or not element was cut; null for rejects recorded before it was measured.';

-- Down Migration
alter table zephr.sync_rejects drop column element_bytes, drop column element_truncated;
