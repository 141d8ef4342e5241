-- Up Migration

-- Loads write a user's attributes and grants in the same transaction as the user, so a row of
-- user_attributes or user_grants always has its user. The foreign keys that said so cost a per-row check
-- (and a KEY SHARE lock on the user's row) on every insert: over a third of a first load's time. They go;
-- deleting a user still takes its attributes and grants with it, by a statement-level trigger that costs
-- nothing on insert.
alter table zephr.user_attributes drop constraint user_attributes_user_id_fkey;
alter table zephr.user_grants drop constraint user_grants_user_id_fkey;

create function zephr.delete_rows_of_deleted_users() returns trigger
language plpgsql as $$
begin
  delete from zephr.user_attributes a using deleted_users d where a.user_id = d.user_id;
  delete from zephr.user_grants g using deleted_users d where g.user_id = d.user_id;
  return null;
end
$$;
comment on function zephr.delete_rows_of_deleted_users() is 'Trigger: deleting users deletes their attributes and grants (what on delete cascade did).';

create trigger users_delete_attributes_and_grants
  after delete on zephr.users
  referencing old table as deleted_users
  for each statement execute function zephr.delete_rows_of_deleted_users();

comment on column zephr.user_attributes.user_id is 'The user (zephr.users.user_id; every row has its user, and goes when the user is deleted).';
comment on column zephr.user_grants.user_id is 'The user whose export element listed the grant (zephr.users.user_id; goes when the user is deleted).';

-- An index on the attribute name alone filters a handful of distinct names: a scan is as fast, and
-- keeping it up cost a tenth of a first load. Attribute values stay indexed (user_attributes_value_text_idx).
drop index zephr.user_attributes_name_idx;

-- Down Migration
create index user_attributes_name_idx on zephr.user_attributes (name);
comment on column zephr.user_grants.user_id is 'The user whose export element listed the grant.';
comment on column zephr.user_attributes.user_id is 'The user (zephr.users.user_id).';
drop trigger users_delete_attributes_and_grants on zephr.users;
drop function zephr.delete_rows_of_deleted_users();
delete from zephr.user_grants g where not exists (select from zephr.users u where u.user_id = g.user_id);
delete from zephr.user_attributes a where not exists (select from zephr.users u where u.user_id = a.user_id);
alter table zephr.user_grants add constraint user_grants_user_id_fkey foreign key (user_id) references zephr.users (user_id) on delete cascade;
alter table zephr.user_attributes add constraint user_attributes_user_id_fkey foreign key (user_id) references zephr.users (user_id) on delete cascade;
