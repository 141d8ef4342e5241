import pg from "pg";

/**
 * Empties every table of schema zephr except the migrations' bookkeeping: a test database as good as
 * new, without cloning another (for many small cases in one file). `delete` with foreign-key triggers
 * off (session_replication_role, superuser only) rather than `truncate`: cheaper on tables this small,
 * and identities keep counting, so run ids stay unique across cases.
 */
export async function resetWarehouse(pool: pg.Pool): Promise<void> {
  const tables = await pool.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'zephr' and c.relkind = 'r' and c.relname <> 'pgmigrations'`,
  );
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("set local session_replication_role = replica");
    for (const { name } of tables.rows) await client.query(`delete from zephr.${pg.escapeIdentifier(name)}`);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
}
