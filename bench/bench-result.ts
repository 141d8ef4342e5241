import type { MachineDescription } from "./describe-machine.js";
import type { IncrementalChanges } from "./apply-incremental-changes.js";
import type { TableCounters } from "./table-stats.js";

export type PhaseName = "parse limit" | "copy limit" | "fresh" | "unchanged" | "incremental";

/** One measured phase. Rates are derived from these, never stored. */
export interface PhaseResult {
  readonly name: PhaseName;
  /** Time the phase is judged by (ms): spawn to exit of its child, except the copy limit (the COPYs only). */
  readonly elapsedMs: number;
  /** Spawn to exit of the child (ms), for every phase. */
  readonly childWallMs: number;
  /** Users received (sync), parsed (parse limit) or copied (copy limit). */
  readonly users: number;
  /** Rows written (users + attribute rows + grant rows) or copied; 0 for the parse limit. */
  readonly rows: number;
  /** Export JSON bytes the phase stands for (the copy limit: the fresh export's, for comparison). */
  readonly exportBytes: number;
  /** Peak RSS of the child (bytes); NaN when unknown. */
  readonly peakRssBytes: number;
  /** CPU time of the child, user + system (ms): what the Node.js side cost, whatever else ran. */
  readonly childCpuMs: number;
  /** CPU of the bench process during the phase (ms): almost all of it the simulator serving the export. */
  readonly simulatorCpuMs: number;
  /** CPU of the local PostgreSQL server during the phase (ms), all of its processes; NaN when not local. */
  readonly postgresCpuMs: number;
  /**
   * CPU the rest of the machine used during the phase (ms): busy time of all cores less the child's, the
   * bench's and PostgreSQL's. Well above 0 means other work competed with the phase. NaN without /proc.
   */
  readonly otherCpuMs: number;
  /**
   * Live zephr.users rows a transaction of the phase locked (xmax set): foreign-key checks of attribute and
   * grant writes, or `on conflict do update … where` rejecting the update. Each dirties its page.
   */
  readonly usersRowsLocked?: number;
  /** Rows the phase wrote (xmin) for users other than the ones changed (incremental phase only). */
  readonly rowsWrittenForOthers?: number;
  /** pg_stat_user_tables deltas of schema zephr's tables that moved (sync phases only). */
  readonly tuples?: TableCounters;
  /** WAL written during the phase, server-wide (bytes). */
  readonly walBytes?: number;
  /** zephr.sync_runs figures of the run (sync phases only). */
  readonly run?: {
    readonly runId: string;
    readonly kind: string;
    readonly pages: number;
    readonly usersWritten: number;
    readonly attributesWritten: number;
    readonly grantsWritten: number;
    readonly rejected: number;
  };
}

export interface BenchResult {
  /** ISO instant the bench started. */
  readonly startedAt: string;
  readonly users: number;
  readonly seed: number;
  readonly pageSize: number;
  readonly batchSize: number;
  /** NODE_OPTIONS the zephr-sync runs got, if any. */
  readonly childNodeOptions?: string;
  readonly machine: MachineDescription;
  /** Time spent generating + normalizing the copy-limit files (ms; not part of any phase). */
  readonly copyFilesMs: number;
  readonly copyFileBytes: number;
  /** Grants whose id the export lists under an earlier user too (both the sync and the copy limit load each). */
  readonly duplicateGrants: number;
  readonly phases: readonly PhaseResult[];
  readonly changes: IncrementalChanges;
}
