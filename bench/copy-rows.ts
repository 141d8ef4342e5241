/**
 * The three tables of the copy limit: the warehouse's columns and types (migrations/),
 * but only their primary keys: no foreign keys, no secondary index, no defaults beyond what COPY needs.
 * Schema and column names are constants, never data.
 */
export const copySchema = "zephr_bench_copy";

export const copyTables = [
  {
    name: "users",
    file: "users.copy",
    columns: [
      "user_id",
      "email_address",
      "email_verified",
      "tracking_id",
      "registered_at",
      "registration_tenant",
      "identifiers",
      "attributes",
      "seq_no",
      "user_extra",
      "element_extra",
      "content_hash",
      "last_changed_run_id",
    ],
    create: `create table ${copySchema}.users (
      user_id uuid primary key, email_address text, email_verified boolean, tracking_id text,
      registered_at timestamptz, registration_tenant text, identifiers jsonb not null, attributes jsonb not null,
      seq_no numeric, user_extra jsonb not null, element_extra jsonb not null, content_hash bytea not null,
      first_seen_at timestamptz not null default now(), last_changed_at timestamptz not null default now(),
      last_changed_run_id bigint, deleted_at timestamptz)`,
  },
  {
    name: "user_attributes",
    file: "attributes.copy",
    columns: ["user_id", "name", "value"],
    create: `create table ${copySchema}.user_attributes (
      user_id uuid not null, name text not null, value jsonb not null, primary key (user_id, name))`,
  },
  {
    name: "user_grants",
    file: "grants.copy",
    columns: [
      "grant_id",
      "user_id",
      "grant_user_id",
      "account_id",
      "entitlement_type",
      "entitlement_id",
      "product_id",
      "expiry_state",
      "starts_at",
      "ends_at",
      "created_at",
      "grant_extra",
    ],
    create: `create table ${copySchema}.user_grants (
      grant_id text not null, user_id uuid not null, grant_user_id uuid, account_id text,
      entitlement_type text, entitlement_id text, product_id text, expiry_state text, starts_at timestamptz,
      ends_at timestamptz, created_at timestamptz, grant_extra jsonb not null, primary key (user_id, grant_id))`,
  },
] as const;

export type CopyTableName = (typeof copyTables)[number]["name"];
