import type { Pool, PoolClient } from "./pool.js";

export type RunKind = "incremental" | "full" | "backfill" | "file";

/** One export file a `file` run loaded, as the run row names it (never its contents). */
export interface RunFile {
  /** The file's basename, `-` for standard input. */
  readonly name: string;
  /** Its size as read (compressed, for a gzip file). */
  readonly bytes: number;
}
export type RunStatus = "running" | "succeeded" | "failed" | "cancelled" | "abandoned";

export interface RunWindow {
  readonly sinceAt: Date | null;
  readonly registeredSinceAt: Date | null;
  readonly registeredBeforeAt: Date | null;
}

export const fullWindow: RunWindow = { sinceAt: null, registeredSinceAt: null, registeredBeforeAt: null };

/** Counters a run accumulates; added to the run row after every committed batch. */
export interface RunCounts {
  readonly pages: number;
  readonly bytes: number;
  readonly usersReceived: number;
  readonly usersWritten: number;
  readonly attributesWritten: number;
  readonly grantsWritten: number;
  readonly rejected: number;
}

export const zeroCounts: RunCounts = {
  pages: 0,
  bytes: 0,
  usersReceived: 0,
  usersWritten: 0,
  attributesWritten: 0,
  grantsWritten: 0,
  rejected: 0,
};

export interface RunRow extends RunCounts {
  readonly runId: string;
  readonly kind: RunKind;
  readonly status: RunStatus;
  readonly sinceAt: Date | null;
  readonly registeredSinceAt: Date | null;
  readonly registeredBeforeAt: Date | null;
  readonly startedAt: Date;
  readonly exportStartedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly usersDeleted: number;
  readonly backfillId: string | null;
  /** The total Zephr stated for the export (meta.count), null when it stated none. */
  readonly expectedCount: number | null;
  /** `file` runs: the files loaded. */
  readonly files: readonly RunFile[] | null;
}

/**
 * Marks runs left `running` by a process that died as abandoned. Only call while holding the run lock:
 * then no other run can be alive.
 */
export async function markAbandonedRuns(pool: Pool): Promise<number> {
  const result = await pool.query(
    `update sync_runs
        set status = 'abandoned', finished_at = now(),
            error_code = coalesce(error_code, 'ABANDONED'),
            error_message = coalesce(error_message, 'The process running it stopped without finishing (killed or crashed); a later run took over.')
      where status = 'running'`,
  );
  return result.rowCount ?? 0;
}

/** Inserts a run row in status running and returns its id. */
export async function insertRun(
  pool: Pool,
  kind: RunKind,
  window: RunWindow,
  backfillId: string | null = null,
  files: readonly RunFile[] | null = null,
): Promise<string> {
  const result = await pool.query<{ run_id: string }>(
    `insert into sync_runs (kind, since_at, registered_since_at, registered_before_at, backfill_id, files)
     values ($1::text, $2::timestamptz, $3::timestamptz, $4::timestamptz, $5::bigint, $6::jsonb)
     returning run_id`,
    [
      kind,
      window.sinceAt,
      window.registeredSinceAt,
      window.registeredBeforeAt,
      backfillId,
      files === null ? null : JSON.stringify(files),
    ],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error("insert into sync_runs returned no row");
  return row.run_id;
}

/** Records Zephr's clock at the start of the export (the future watermark). */
export async function setRunExportStartedAt(pool: Pool, runId: string, exportStartedAt: Date): Promise<void> {
  await pool.query(`update sync_runs set export_started_at = $2::timestamptz where run_id = $1::bigint`, [
    runId,
    exportStartedAt,
  ]);
}

/** Records the total the export's envelope stated (meta.count), once a page stated one. */
export async function setRunExpectedCount(pool: Pool, runId: string, expectedCount: number): Promise<void> {
  await pool.query(`update sync_runs set expected_count = $2::int where run_id = $1::bigint`, [
    runId,
    expectedCount,
  ]);
}

/** Adds a batch's counters to the run row (inside the batch's transaction). */
export async function addRunCounts(
  client: PoolClient | Pool,
  runId: string,
  counts: RunCounts,
): Promise<void> {
  await client.query(
    `update sync_runs
        set pages = pages + $2::int, bytes = bytes + $3::bigint, users_received = users_received + $4::int,
            users_written = users_written + $5::int, attributes_written = attributes_written + $6::int,
            grants_written = grants_written + $7::int, rejected = rejected + $8::int
      where run_id = $1::bigint`,
    [
      runId,
      counts.pages,
      counts.bytes,
      counts.usersReceived,
      counts.usersWritten,
      counts.attributesWritten,
      counts.grantsWritten,
      counts.rejected,
    ],
  );
}

/** Ends a run as succeeded (inside the transaction that also moves the watermark). */
export async function markRunSucceeded(
  client: PoolClient,
  runId: string,
  usersDeleted: number,
): Promise<void> {
  await client.query(
    `update sync_runs set status = 'succeeded', finished_at = now(), users_deleted = $2::int
      where run_id = $1::bigint and status = 'running'`,
    [runId, usersDeleted],
  );
}

/** Ends a run as failed or cancelled with the reason. */
export async function markRunEnded(
  pool: Pool,
  runId: string,
  status: "failed" | "cancelled",
  errorCode: string,
  errorMessage: string,
): Promise<void> {
  await pool.query(
    `update sync_runs
        set status = $2::text, finished_at = now(), error_code = $3::text, error_message = $4::text
      where run_id = $1::bigint and status = 'running'`,
    [runId, status, errorCode, errorMessage],
  );
}

interface RunRecord {
  run_id: string;
  kind: RunKind;
  status: RunStatus;
  since_at: Date | null;
  registered_since_at: Date | null;
  registered_before_at: Date | null;
  started_at: Date;
  export_started_at: Date | null;
  finished_at: Date | null;
  pages: number;
  bytes: string;
  users_received: number;
  users_written: number;
  attributes_written: number;
  grants_written: number;
  rejected: number;
  error_code: string | null;
  error_message: string | null;
  users_deleted: number;
  backfill_id: string | null;
  expected_count: number | null;
  files: RunFile[] | null;
}

function toRunRow(record: RunRecord): RunRow {
  return {
    runId: record.run_id,
    kind: record.kind,
    status: record.status,
    sinceAt: record.since_at,
    registeredSinceAt: record.registered_since_at,
    registeredBeforeAt: record.registered_before_at,
    startedAt: record.started_at,
    exportStartedAt: record.export_started_at,
    finishedAt: record.finished_at,
    pages: record.pages,
    bytes: Number(record.bytes),
    usersReceived: record.users_received,
    usersWritten: record.users_written,
    attributesWritten: record.attributes_written,
    grantsWritten: record.grants_written,
    rejected: record.rejected,
    errorCode: record.error_code,
    errorMessage: record.error_message,
    usersDeleted: record.users_deleted,
    backfillId: record.backfill_id,
    expectedCount: record.expected_count,
    files: record.files,
  };
}

/** The most recent runs, newest first. */
export async function listRecentRuns(pool: Pool, limit: number): Promise<RunRow[]> {
  const result = await pool.query<RunRecord>(
    `select * from sync_runs order by started_at desc, run_id desc limit $1::int`,
    [limit],
  );
  return result.rows.map(toRunRow);
}

/** One run by id, or undefined. */
export async function findRun(pool: Pool, runId: string): Promise<RunRow | undefined> {
  const result = await pool.query<RunRecord>(`select * from sync_runs where run_id = $1::bigint`, [runId]);
  const record = result.rows[0];
  return record === undefined ? undefined : toRunRow(record);
}

/** How many runs the warehouse has recorded (0 for a fresh one, or one not migrated yet). */
export async function countSyncRuns(pool: Pool): Promise<number> {
  const exists = await pool.query<{ found: boolean }>(`select to_regclass('sync_runs') is not null as found`);
  if (exists.rows[0]?.found !== true) return 0;
  const result = await pool.query<{ runs: string }>(`select count(*) as runs from sync_runs`);
  return Number(result.rows[0]?.runs ?? 0);
}

/** Whether any run has succeeded into this warehouse: false until its first load is complete. */
export async function hasSucceededRun(client: Pool | PoolClient): Promise<boolean> {
  const result = await client.query<{ found: boolean }>(
    `select exists (select 1 from sync_runs where status = 'succeeded') as found`,
  );
  return result.rows[0]?.found === true;
}
