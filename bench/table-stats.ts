import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";

/** Tuple counters of one table from pg_stat_user_tables (cumulative since the database was created). */
export interface TupleCounters {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

export type WarehouseCounters = Readonly<Record<"users" | "user_attributes" | "user_grants", TupleCounters>>;

export const warehouseTables = ["users", "user_attributes", "user_grants"] as const;

/** application_name of the bench's own connections, which the settling wait ignores. */
export const benchApplicationName = "zephr-sync bench";

const zero: TupleCounters = { inserted: 0, updated: 0, deleted: 0 };

async function readCounters(client: pg.ClientBase): Promise<WarehouseCounters> {
  // Stats are read from a per-transaction snapshot (stats_fetch_consistency): drop it to see fresh values.
  await client.query("select pg_stat_clear_snapshot()");
  const result = await client.query<{ relname: string; ins: string; upd: string; del: string }>(
    `select relname, n_tup_ins::text as ins, n_tup_upd::text as upd, n_tup_del::text as del
       from pg_stat_user_tables
      where schemaname = 'zephr' and relname = any($1::text[])`,
    [[...warehouseTables]],
  );
  const byName = new Map(result.rows.map((r) => [r.relname, r]));
  const pick = (name: string): TupleCounters => {
    const row = byName.get(name);
    return row === undefined
      ? zero
      : { inserted: Number(row.ins), updated: Number(row.upd), deleted: Number(row.del) };
  };
  return { users: pick("users"), user_attributes: pick("user_attributes"), user_grants: pick("user_grants") };
}

function same(a: WarehouseCounters, b: WarehouseCounters): boolean {
  return warehouseTables.every(
    (t) => a[t].inserted === b[t].inserted && a[t].updated === b[t].updated && a[t].deleted === b[t].deleted,
  );
}

/**
 * The warehouse tables' tuple counters once every other session of this database has gone and flushed
 * its statistics (the bench's own connections excepted). Backends publish their counters lazily (at most once a second, and at exit), so this
 * waits for the sync's connections to close and for two readings 1.2 s apart to agree.
 */
export async function readSettledCounters(
  client: pg.ClientBase,
  timeoutMs = 30_000,
): Promise<WarehouseCounters> {
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

/** after − before, per table. */
export function subtractCounters(after: WarehouseCounters, before: WarehouseCounters): WarehouseCounters {
  const diff = (a: TupleCounters, b: TupleCounters): TupleCounters => ({
    inserted: a.inserted - b.inserted,
    updated: a.updated - b.updated,
    deleted: a.deleted - b.deleted,
  });
  return {
    users: diff(after.users, before.users),
    user_attributes: diff(after.user_attributes, before.user_attributes),
    user_grants: diff(after.user_grants, before.user_grants),
  };
}

/** Tuples inserted + updated + deleted across the three tables. */
export function totalTuples(counters: WarehouseCounters): number {
  return warehouseTables.reduce(
    (sum, t) => sum + counters[t].inserted + counters[t].updated + counters[t].deleted,
    0,
  );
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
