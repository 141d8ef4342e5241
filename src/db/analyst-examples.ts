/**
 * Example analyst queries: shown by the demo, listed in the README's "For analysts" section, and each
 * executed by a test so none of them rots.
 */
export interface AnalystExample {
  readonly title: string;
  readonly sql: string;
}

export const analystExamples: readonly AnalystExample[] = [
  {
    title: "Registrations per month (last 6 months with registrations)",
    sql: `select to_char(date_trunc('month', registered_at), 'YYYY-MM') as month, count(*) as users
  from zephr.current_users
 where registered_at is not null
 group by 1
 order by 1 desc
 limit 6`,
  },
  {
    title: "Users with a grant in force now, by what was granted",
    sql: `select entitlement_type, coalesce(granted_label, entitlement_id) as granted,
       count(distinct user_id) as users
  from zephr.active_grants
 group by 1, 2
 order by 3 desc, 2
 limit 10`,
  },
  {
    title: "Grants in force now that end within 30 days, by product",
    sql: `select coalesce(product_label, product_id) as product, count(distinct grant_id) as grants,
       count(distinct user_id) as users, min(ends_at) as first_ending
  from zephr.active_grants
 where ends_at < now() + interval '30 days'
 group by 1
 order by 2 desc, 1`,
  },
  {
    title: "Grants listed under several users (company accounts), with who holds them",
    sql: `select grant_id, account_id, count(*) as users, array_agg(email_address order by email_address) as emails
  from zephr.active_grants
 group by 1, 2
having count(*) > 1
 order by 3 desc, 1
 limit 10`,
  },
  {
    title: "Find a user by email, whatever its case",
    sql: `select user_id, email_address, registered_at
  from zephr.current_users
 where lower(email_address) = lower('Joe.Blow@Example.com')`,
  },
  {
    title: "Newsletter opt-in (a checkbox: typed as boolean from the user schema)",
    sql: `select boolean_value as newsletter, count(*) as users
  from zephr.user_attributes_typed
 where name = 'newsletter'
 group by 1
 order by 2 desc`,
  },
  {
    title: "Attributes by label and input type, with how many users have a value",
    sql: `select d.slug, d.label, d.input_type, count(a.user_id) as users
  from zephr.user_attribute_definitions d
  left join zephr.user_attributes a on a.name = d.slug
 where d.removed_at is null
 group by 1, 2, 3
 order by 4 desc, 1
 limit 12`,
  },
  {
    title: "Subscriber state events per day and event (last 30 days)",
    sql: `select occurred_at::date as day, event_type, count(*) as events
  from zephr.user_state_events
 where occurred_at >= now() - interval '30 days'
 group by 1, 2
 order by 1 desc, 2
 limit 20`,
  },
  {
    title: "Catalogue freshness: when each name list was last read, and why not",
    sql: `select endpoint, items, last_succeeded_at, last_error
  from zephr.catalogue_sources
 order by endpoint`,
  },
  {
    title: "Recent runs",
    sql: `select run_id, kind, status, users_received, users_written, rejected,
       round(extract(epoch from finished_at - started_at)::numeric, 1) as seconds
  from zephr.sync_runs
 order by run_id desc
 limit 5`,
  },
  {
    title: "History: active users per product per day (last 90 days)",
    sql: `select d.day, coalesce(p.label, d.item_id) as product, d.active_users
  from zephr.daily_active_users(current_date - 89, current_date) d
  left join zephr.catalogue_items p on p.kind = d.kind and p.item_id = d.item_id
 where d.kind = 'product'
 order by 1 desc, 3 desc, 2
 limit 30`,
  },
  {
    title: "History: attribute changes of one user over time",
    sql: `with versions as (
  select v.valid_from, v.attributes, lag(v.attributes) over (order by v.valid_from) as before
    from zephr.user_versions v
   where v.user_id = (select user_id from zephr.users where lower(email_address) = lower('Joe.Blow@Example.com'))
)
select valid_from as known_from, name as attribute, before -> name as old_value, attributes -> name as new_value
  from versions, jsonb_object_keys(attributes || before) as name
 where (before -> name) is distinct from (attributes -> name)
 order by 1, 2`,
  },
  {
    title: "History: grants revoked (removed before their ends_at) per month, by product",
    sql: `select to_char(date_trunc('month', v.valid_to), 'YYYY-MM') as month,
       coalesce(p.label, v.product_id) as product, count(*) as grants, count(distinct v.user_id) as users
  from zephr.user_grant_versions v
  left join zephr.catalogue_items p on p.kind = 'product' and p.item_id = v.product_id
 where v.valid_to < coalesce(v.ends_at, 'infinity')
   -- not changed: no next version of the same grant
   and not exists (select from zephr.user_grant_versions n
                     where n.user_id = v.user_id and n.grant_id = v.grant_id and n.valid_from = v.valid_to)
   -- not the user's deletion
   and not exists (select from zephr.user_versions u
                     where u.user_id = v.user_id and u.valid_from = v.valid_to and u.deleted_at is not null)
 group by 1, 2
 order by 1 desc, 3 desc, 2
 limit 24`,
  },
];

export interface QueryTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return value.toString();
  return JSON.stringify(value);
}

/** Runs one example and returns its result as text cells (null shown as empty). */
export async function runAnalystExample(
  pool: { query: (sql: string) => Promise<{ fields: { name: string }[]; rows: Record<string, unknown>[] }> },
  example: AnalystExample,
): Promise<QueryTable> {
  const result = await pool.query(example.sql);
  const columns = result.fields.map((f) => f.name);
  const rows = result.rows.map((row) => columns.map((c) => cellText(row[c])));
  return { columns, rows };
}
