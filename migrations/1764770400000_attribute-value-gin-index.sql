-- Up Migration

-- Attribute values repeat a great deal (booleans, countries, job titles). A hash index puts every copy of
-- a value in one bucket, and each insert walks that bucket's overflow chain from its start, so building
-- or keeping it up grows with the square of the repeats: at a million users, building it took 88 s and
-- 272 MB, and a first load of ten million would take hours. A GIN index with jsonb_path_ops keeps one
-- posting list per value: 2.6 s and 15 MB at a million users, and no limit on a value's length (it
-- stores hashes), which is why the hash index was chosen over a btree. Filter with containment:
-- name = 'country' and value @> '"GB"'.
drop index zephr.user_attributes_value_text_idx;
create index user_attributes_value_idx on zephr.user_attributes using gin (value jsonb_path_ops);
comment on index zephr.user_attributes_value_idx is 'Attribute values, for filters such as name = ''country'' and value @> ''"GB"'' (a string value; value @> ''42'' for a number; also true for a list holding it).';

-- Down Migration
drop index zephr.user_attributes_value_idx;
create index user_attributes_value_text_idx on zephr.user_attributes using hash ((value #>> '{}'));
