import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  readonly databaseUrl: string;
  /**
   * The warehouse's schema (ZEPHR_SCHEMA): every connection's search_path is exactly this schema, and
   * the statements of src/db name their tables unqualified, so that they act on this schema's tables
   * and a table missing from it fails loudly rather than being found in another schema.
   */
  readonly schema: string;
  readonly applicationName?: string;
  readonly max?: number;
  /** Server-side statement_timeout for every statement of the job (ms); 0 disables. */
  readonly statementTimeoutMs?: number;
  /**
   * How long opening one connection may take (ms) before it fails, so that a server that accepts the
   * TCP connection but never answers cannot hang the job. Waiting for a free client of the pool is not
   * bounded by it (that wait ends when a statement of the job ends). Default: no limit.
   */
  readonly connectTimeoutMs?: number;
}

/**
 * A pg.Client whose connection attempt is bounded. pg-pool's own `connectionTimeoutMillis` would also
 * bound the wait for a free client, failing a healthy run whose statements are merely long.
 */
function clientWithConnectTimeout(connectTimeoutMs: number): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({
        ...(typeof config === "string" ? { connectionString: config } : config),
        connectionTimeoutMillis: connectTimeoutMs,
      });
    }
  };
}

/**
 * The search_path of one warehouse schema, quoted (the name is validated by config.ts: no quote can be
 * in it). Only that schema: pg_catalog and the session's temporary tables are still searched first, as
 * always, and nothing of zephr-sync's lives in public.
 */
export function searchPathOf(schema: string): string {
  return `"${schema}"`;
}

/** Sets a new connection's search_path (a session setting: it lasts as long as the connection). */
export async function setSearchPath(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query("select set_config('search_path', $1::text, false)", [searchPathOf(schema)]);
}

function ignoreCheckedOutClientError(): void {
  // Reported through the failing query (see createPool).
}

/** One pool per process; callers end it. Errors on idle clients are reported, not thrown into the void. */
export function createPool(options: PoolOptions, onIdleError: (error: Error) => void): Pool {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    application_name: options.applicationName ?? "zephr-sync",
    max: options.max ?? 4,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.connectTimeoutMs ? { Client: clientWithConnectTimeout(options.connectTimeoutMs) } : {}),
    // Awaited by pg-pool before the connection is handed out; when it fails, the connection is closed
    // and pool.connect() fails with its error. (A startup `options: -c search_path=…` would be replaced
    // by an `options` parameter of DATABASE_URL, silently.)
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- pg-pool awaits it; @types/pg says void
    onConnect: (client: pg.ClientBase) => setSearchPath(client, options.schema),
  });
  pool.on("error", onIdleError);
  // pg-pool listens for errors only on idle clients. A checked-out client whose connection dies (the
  // server restarts, pg_terminate_backend) emits "error" too, after failing its query: without a listener
  // that would crash the process. The failure reaches the caller through the query; the pool discards a
  // client that is no longer queryable when it is released.
  pool.on("connect", (client) => {
    client.on("error", ignoreCheckedOutClientError);
  });
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

/** Inside a transaction: its commit returns before its WAL is flushed (synchronous_commit = off). */
export async function setAsynchronousCommit(client: PoolClient): Promise<void> {
  await client.query("set local synchronous_commit = off");
}
