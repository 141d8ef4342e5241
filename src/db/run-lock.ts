import { createHash } from "node:crypto";
import pg from "pg";

/**
 * Advisory lock key for "a sync is running against schema zephr of this database": the first 8 bytes of
 * sha256('zephr-sync run lock') as a signed bigint, fixed so every version of zephr-sync agrees.
 */
export const runLockKey = "7825712067193579042";

/**
 * The run lock's key for a warehouse schema (advisory locks are per database, not per schema): the
 * schema zephr keeps runLockKey, so versions from before ZEPHR_SCHEMA still exclude each other; another
 * schema gets the first 8 bytes of sha256('zephr-sync run lock SCHEMA'), so tenants in one database run
 * at the same time.
 */
export function runLockKeyOf(schema: string): string {
  if (schema === "zephr") return runLockKey;
  return createHash("sha256").update(`zephr-sync run lock ${schema}`).digest().readBigInt64BE(0).toString();
}

export interface RunLock {
  /** Resolves when the lock's connection dies (the lock is then lost); never rejects. */
  readonly lost: Promise<Error>;
  release(): Promise<void>;
}

export interface RunLockOptions {
  /** The warehouse schema whose runs the lock excludes (see runLockKeyOf). */
  readonly schema: string;
  /** How long opening the lock's connection may take (ms); 0 or absent: no limit. */
  readonly connectTimeoutMs?: number;
}

/**
 * Takes the run lock of one schema on a dedicated connection (session-level, so it survives the batch transactions and
 * is freed by the server if this process dies). Resolves undefined when another run holds it.
 */
export async function tryAcquireRunLock(
  databaseUrl: string,
  options: RunLockOptions,
): Promise<RunLock | undefined> {
  const key = runLockKeyOf(options.schema);
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: "zephr-sync lock",
    ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
  });
  let onLost: (error: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => {
    onLost = resolve;
  });
  client.on("error", (error) => {
    onLost(error);
  });
  await client.connect();
  try {
    const result = await client.query<{ locked: boolean }>(
      `select pg_try_advisory_lock($1::bigint) as locked`,
      [key],
    );
    if (result.rows[0]?.locked !== true) {
      await client.end();
      return undefined;
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  client.on("end", () => {
    onLost(new Error("the connection holding the run lock closed"));
  });
  return {
    lost,
    // If the connection is already gone, the server freed the lock with the session: nothing to undo.
    async release() {
      client.removeAllListeners("end");
      await client.query(`select pg_advisory_unlock($1::bigint)`, [key]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
