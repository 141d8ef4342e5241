import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  readonly databaseUrl: string;
  readonly applicationName?: string;
  readonly max?: number;
  /** Server-side statement_timeout for every statement of the job (ms); 0 disables. */
  readonly statementTimeoutMs?: number;
}

/** One pool per process; callers end it. Errors on idle clients are reported, not thrown into the void. */
export function createPool(options: PoolOptions, onIdleError: (error: Error) => void): Pool {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    application_name: options.applicationName ?? "zephr-sync",
    max: options.max ?? 4,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  pool.on("error", onIdleError);
  return pool;
}

/**
 * Runs fn inside one transaction on one pooled client; rolls back on any error. A client whose rollback
 * fails too (its connection is gone) is discarded rather than returned to the pool.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("begin");
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
