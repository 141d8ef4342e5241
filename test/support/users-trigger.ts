import type pg from "pg";

/**
 * Runs `fn` while a statement-level trigger on zephr.users runs `body` (plpgsql) after every insert or
 * update: on each of the job's batch upserts. Stands in for a slow or failing server (pg_sleep, or
 * `raise exception … using errcode = '53100'`). Removed afterwards, whatever happens.
 */
export async function withUsersTrigger<T>(pool: pg.Pool, body: string, fn: () => Promise<T>): Promise<T> {
  await pool.query(
    `create function zephr.reliability_fault() returns trigger language plpgsql as $$ begin ${body}; return null; end $$`,
  );
  await pool.query(
    `create trigger reliability_fault after insert or update on zephr.users
       for each statement execute function zephr.reliability_fault()`,
  );
  try {
    return await fn();
  } finally {
    await pool.query("drop trigger reliability_fault on zephr.users");
    await pool.query("drop function zephr.reliability_fault()");
  }
}

/** Backends of `database` whose application_name is `name`, with what they are doing. */
export async function findBackends(
  pool: pg.Pool,
  database: string,
  name: string,
): Promise<{ pid: number; state: string; wait_event: string | null }[]> {
  const result = await pool.query<{ pid: number; state: string; wait_event: string | null }>(
    `select pid, state, wait_event from pg_stat_activity where datname = $1 and application_name = $2`,
    [database, name],
  );
  return result.rows;
}

/** pg_terminate_backend for each pid. */
export async function terminateBackends(pool: pg.Pool, pids: readonly number[]): Promise<void> {
  for (const pid of pids) await pool.query("select pg_terminate_backend($1)", [pid]);
}
