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
  from zephr.users
 where deleted_at is null and registered_at is not null
 group by 1
 order by 1 desc
 limit 6`,
  },
  {
    title: "Users with a grant in force now, by entitlement type",
    sql: `select g.entitlement_type, count(distinct g.user_id) as users
  from zephr.user_grants g
  join zephr.users u using (user_id)
 where u.deleted_at is null
   and (g.starts_at is null or g.starts_at <= now())
   and (g.ends_at is null or g.ends_at > now())
 group by 1
 order by 2 desc`,
  },
  {
    title: "Newsletter opt-in (checkbox values arrive as strings)",
    sql: `select a.value #>> '{}' as newsletter, count(*) as users
  from zephr.user_attributes a
 where a.name = 'newsletter'
 group by 1
 order by 2 desc`,
  },
  {
    title: "Most common attributes",
    sql: `select name, count(*) as users
  from zephr.user_attributes
 group by name
 order by 2 desc, 1
 limit 8`,
  },
  {
    title: "Recent runs",
    sql: `select run_id, kind, status, users_received, users_written, rejected,
       round(extract(epoch from finished_at - started_at)::numeric, 1) as seconds
  from zephr.sync_runs
 order by run_id desc
 limit 5`,
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
