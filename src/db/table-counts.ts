import type { Pool } from "./pool.js";

export interface TableCounts {
  readonly users: number;
  readonly usersDeleted: number;
  readonly userAttributes: number;
  readonly userGrants: number;
  readonly syncRejects: number;
}

/** Exact row counts of the warehouse tables (one statement; bigint counts arrive as strings). */
export async function countTableRows(pool: Pool): Promise<TableCounts> {
  const result = await pool.query<Record<keyof TableCounts, string>>(
    `select (select count(*) from users where deleted_at is null) as "users",
            (select count(*) from users where deleted_at is not null) as "usersDeleted",
            (select count(*) from user_attributes) as "userAttributes",
            (select count(*) from user_grants) as "userGrants",
            (select count(*) from sync_rejects) as "syncRejects"`,
  );
  const row = result.rows[0];
  return {
    users: Number(row?.users ?? 0),
    usersDeleted: Number(row?.usersDeleted ?? 0),
    userAttributes: Number(row?.userAttributes ?? 0),
    userGrants: Number(row?.userGrants ?? 0),
    syncRejects: Number(row?.syncRejects ?? 0),
  };
}
