-- Up Migration

-- A grant id may be listed under several users: a company account's grant is listed under each member,
-- and a grant's own user_id may name someone other than the user whose element lists it. Keyed by
-- grant_id alone, only the user written last kept such a grant, and the others silently lost it (an
-- incremental run could hand it back and forth). Grants are now keyed by (user_id, grant_id): one row
-- for each user who lists the grant. Removing a grant a user no longer lists removes that user's row only.
--
-- Grants the old key lost are not in the warehouse: zephr-sync's normalization version moves with this
-- change, so the next export that lists a user rewrites it with every grant it lists. Run
-- `zephr-sync backfill --full` once after upgrading to restore them all.

-- The views read user_grants and gain its new column: dropped here, created again below.
drop view zephr.active_grants;
drop view zephr.grant_details;

-- The key: (user_id, grant_id). It leads with user_id, so it serves what user_grants_user_id_idx did
-- (the load's removal of a user's unlisted grants, the delete trigger), and that index goes.
alter table zephr.user_grants drop constraint user_grants_pkey;
alter table zephr.user_grants add constraint user_grants_pkey primary key (user_id, grant_id);
drop index zephr.user_grants_user_id_idx;
-- Looking a grant up by its id (who holds it) was the old key's work: an analyst index now.
create index user_grants_grant_id_idx on zephr.user_grants (grant_id);

-- The grant's own user_id, which was kept in grant_extra: a column of its own when it is a UUID
-- (lowercased, as the warehouse keys users); anything else stays in grant_extra, as loads keep it.
alter table zephr.user_grants add column grant_user_id uuid;
update zephr.user_grants
   set grant_user_id = lower(grant_extra ->> 'user_id')::uuid,
       grant_extra = grant_extra - 'user_id'
 where jsonb_typeof(grant_extra -> 'user_id') = 'string'
   and grant_extra ->> 'user_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

comment on table zephr.user_grants is 'One row per user and grant the user''s export element lists (source: element.grants.results), keyed by (user_id, grant_id): a grant listed under several users (a company account''s grant seen by each member) has a row for each of them. A grant a user no longer lists is removed from that user only.';
comment on column zephr.user_grants.grant_id is 'Zephr grant id (grantId or grant_id). Not unique on its own: the same grant may be listed under several users, once per user_id.';
comment on column zephr.user_grants.user_id is 'The user whose export element listed the grant (zephr.users.user_id; goes when the user is deleted). With grant_id, the key.';
comment on column zephr.user_grants.grant_user_id is 'The grant''s own user_id field as Zephr sent it (lowercased), when it is a UUID; null when the grant has none. May differ from user_id, e.g. for a company account''s grant listed under another member. A user_id that is not a UUID stays in grant_extra.';
comment on column zephr.user_grants.grant_extra is 'Keys of the grant that are not modelled above, as received (a user_id that is not a UUID among them).';
comment on index zephr.user_grants_grant_id_idx is 'A grant by its id, e.g. which users hold grant_id = ''…''.';

create view zephr.grant_details as
select g.grant_id, g.user_id, g.grant_user_id, u.email_address, g.entitlement_type, g.entitlement_id,
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
comment on view zephr.grant_details is 'Every grant of every user (one row per user_id and grant_id: a grant listed under several users appears once for each) with the names of what it grants (from zephr.catalogue_items) and its state computed now from starts_at/ends_at.';
comment on column zephr.grant_details.grant_id is 'Zephr grant id (grantId or grant_id); with user_id, the row''s key.';
comment on column zephr.grant_details.user_id is 'The user holding the grant (whose export element listed it).';
comment on column zephr.grant_details.grant_user_id is 'The grant''s own user_id field (a UUID, lowercased), when Zephr sent one; may differ from user_id, e.g. for a company account''s grant.';
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
select d.grant_id, d.user_id, d.grant_user_id, d.email_address, d.entitlement_type, d.entitlement_id,
       d.granted_label, d.product_id, d.product_label, d.account_id, d.starts_at, d.ends_at, d.created_at
  from zephr.grant_details d
 where (d.starts_at is null or d.starts_at <= now())
   and (d.ends_at is null or d.ends_at > now())
   and not d.user_deleted;
comment on view zephr.active_grants is 'Grants in force now, of users that exist (one row per user_id and grant_id: count distinct user_id for holders, distinct grant_id for grants): starts_at <= now() (or no start) and ends_at > now() (or no end), computed at query time rather than taken from the export-time expiry_state.';
comment on column zephr.active_grants.grant_id is 'Zephr grant id (grantId or grant_id); with user_id, the row''s key.';
comment on column zephr.active_grants.user_id is 'The user holding the grant (whose export element listed it).';
comment on column zephr.active_grants.grant_user_id is 'The grant''s own user_id field (a UUID, lowercased), when Zephr sent one; may differ from user_id, e.g. for a company account''s grant.';
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

-- Views created anew carry no privileges of the old ones: analysts read them as before.
grant select on zephr.grant_details, zephr.active_grants to zephr_analyst;

-- Down Migration
drop view zephr.active_grants;
drop view zephr.grant_details;
-- One row per grant id again: of a grant listed under several users, one user keeps it (the greatest
-- user_id, an arbitrary but stable choice).
delete from zephr.user_grants g
 using zephr.user_grants other
 where other.grant_id = g.grant_id and other.user_id > g.user_id;
update zephr.user_grants
   set grant_extra = grant_extra || jsonb_build_object('user_id', grant_user_id::text)
 where grant_user_id is not null;
alter table zephr.user_grants drop column grant_user_id;
drop index zephr.user_grants_grant_id_idx;
create index user_grants_user_id_idx on zephr.user_grants (user_id);
alter table zephr.user_grants drop constraint user_grants_pkey;
alter table zephr.user_grants add constraint user_grants_pkey primary key (grant_id);
comment on table zephr.user_grants is 'One row per grant of a user (source: element.grants.results); a grant no longer listed is removed.';
comment on column zephr.user_grants.grant_id is 'Zephr grant id (grantId or grant_id).';
comment on column zephr.user_grants.user_id is 'The user whose export element listed the grant (zephr.users.user_id; goes when the user is deleted).';
comment on column zephr.user_grants.grant_extra is 'Keys of the grant that are not modelled above, as received (including the grant''s own user_id).';
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
grant select on zephr.grant_details, zephr.active_grants to zephr_analyst;
