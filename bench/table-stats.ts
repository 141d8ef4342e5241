import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";

/** Tuple counters of one table from pg_stat_user_tables (cumulative since the database was created). */
export interface TupleCounters {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

/** Tuple counters per table of schema zephr, by table name. */
export type TableCounters = Readonly<Record<string, TupleCounters>>;

/** The three tables issue 5's write targets are about. */
export const warehouseTables = ["users", "user_attributes", "user_grants"] as const;

/** application_name of the bench's own connections, which the settling wait ignores. */
export const benchApplicationName = "zephr-sync bench";

const zero: TupleCounters = { inserted: 0, updated: 0, deleted: 0 };

/** A table's counters, zero for a table that did not exist (yet). */
export function countersOf(counters: TableCounters, table: string): TupleCounters {
  return counters[table] ?? zero;
}

async function readCounters(client: pg.ClientBase): Promise<TableCounters> {
  // Stats are read from a per-transaction snapshot (stats_fetch_consistency): drop it to see fresh values.
  await client.query("select pg_stat_clear_snapshot()");
  const result = await client.query<{ relname: string; ins: string; upd: string; del: string }>(
    `select relname, n_tup_ins::text as ins, n_tup_upd::text as upd, n_tup_del::text as del
       from pg_stat_user_tables
      where schemaname = 'zephr'`,
  );
  return Object.fromEntries(
    result.rows.map((r) => [
      r.relname,
      { inserted: Number(r.ins), updated: Number(r.upd), deleted: Number(r.del) },
    ]),
  );
}

function tablesOf(a: TableCounters, b: TableCounters): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function same(a: TableCounters, b: TableCounters): boolean {
  return tablesOf(a, b).every((t) => {
    const x = countersOf(a, t);
    const y = countersOf(b, t);
    return x.inserted === y.inserted && x.updated === y.updated && x.deleted === y.deleted;
  });
}

/**
 * The tuple counters of schema zephr's tables once every other session of this database has gone and
 * flushed its statistics (the bench's own connections excepted). Backends publish their counters
 * lazily (at most once a second, and at exit), so this waits for the sync's connections to close and
 * for two readings 1.2 s apart to agree.
 */
export async function readSettledCounters(client: pg.ClientBase, timeoutMs = 30_000): Promise<TableCounters> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const others = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend'
          and application_name <> $1::text`,
      [benchApplicationName],
    );
    if ((others.rows[0]?.n ?? 0) === 0 || Date.now() > deadline) break;
    await sleep(100);
  }
  let previous = await readCounters(client);
  for (;;) {
    await sleep(1_200);
    const current = await readCounters(client);
    if (same(previous, current) || Date.now() > deadline) return current;
    previous = current;
  }
}

/** after − before, per table; tables whose counters did not move are left out. */
export function subtractCounters(after: TableCounters, before: TableCounters): TableCounters {
  const entries: [string, TupleCounters][] = [];
  for (const table of tablesOf(after, before)) {
    const a = countersOf(after, table);
    const b = countersOf(before, table);
    const diff = {
      inserted: a.inserted - b.inserted,
      updated: a.updated - b.updated,
      deleted: a.deleted - b.deleted,
    };
    if (diff.inserted !== 0 || diff.updated !== 0 || diff.deleted !== 0) entries.push([table, diff]);
  }
  return Object.fromEntries(entries);
}

/** Tuples inserted + updated + deleted across the given tables (default: the three warehouse tables). */
export function totalTuples(counters: TableCounters, tables: readonly string[] = warehouseTables): number {
  return tables.reduce((sum, t) => {
    const c = countersOf(counters, t);
    return sum + c.inserted + c.updated + c.deleted;
  }, 0);
}

/** The server's current WAL insert position as a byte number (cluster-wide). */
export async function readWalBytes(client: pg.ClientBase): Promise<number> {
  const result = await client.query<{ bytes: string }>(
    `select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text as bytes`,
  );
  return Number(result.rows[0]?.bytes ?? Number.NaN);
}

/**
 * A new transaction id (consumes one): every transaction that starts after this call gets a larger one.
 * As a 32-bit xid, to compare with xmin/xmax (the bench's scratch cluster never wraps around mid-run).
 */
export async function takeTransactionId(client: pg.ClientBase): Promise<number> {
  const result = await client.query<{ xid: string }>(
    `select (pg_current_xact_id()::text::bigint % 4294967296)::text as xid`,
  );
  return Number(result.rows[0]?.xid ?? Number.NaN);
}

/**
 * Live zephr.users rows that a transaction between the two ids locked without changing them (xmax set,
 * row not replaced). `insert … on conflict do update … where false` does this to every unchanged row:
 * no tuple counter moves, but the heap page is dirtied and a lock record goes to the WAL.
 */
export async function countLockedUsers(
  client: pg.ClientBase,
  afterXid: number,
  beforeXid: number,
): Promise<number> {
  const result = await client.query<{ n: string }>(
    `select count(*)::text as n from zephr.users
      where xmax::text::bigint > $1::bigint and xmax::text::bigint < $2::bigint`,
    [afterXid, beforeXid],
  );
  return Number(result.rows[0]?.n ?? Number.NaN);
}

/**
 * Live rows of the three warehouse tables that a transaction between the two ids wrote (xmin) for a
 * user outside `userIds`: 0 when a run wrote only those users' rows. Deleted rows leave no trace here;
 * the tuple counters account for them.
 */
export async function countRowsWrittenForOthers(
  client: pg.ClientBase,
  afterXid: number,
  beforeXid: number,
  userIds: readonly string[],
): Promise<number> {
  const result = await client.query<{ n: string }>(
    `select ((select count(*) from zephr.users
               where xmin::text::bigint > $1::bigint and xmin::text::bigint < $2::bigint
                 and user_id <> all($3::uuid[]))
           + (select count(*) from zephr.user_attributes
               where xmin::text::bigint > $1::bigint and xmin::text::bigint < $2::bigint
                 and user_id <> all($3::uuid[]))
           + (select count(*) from zephr.user_grants
               where xmin::text::bigint > $1::bigint and xmin::text::bigint < $2::bigint
                 and user_id <> all($3::uuid[])))::text as n`,
    [afterXid, beforeXid, userIds],
  );
  return Number(result.rows[0]?.n ?? Number.NaN);
}
