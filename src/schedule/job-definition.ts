/** What a scheduled tick may ask of runSync: the incremental sync or a full reconciliation, never a dry run. */
export type ScheduledRequest =
  { readonly kind: "incremental" } | { readonly kind: "full"; readonly purgeDeleted?: boolean };

/**
 * What runs when: one scheduled job. Definitions live in `jobs/` (one file per job) and are passed to the
 * scheduler as arguments; nothing under `src/` knows which jobs exist.
 */
export interface JobDefinition {
  /** Stable name, used in logs ("nightly-sync"). */
  readonly name: string;
  /** Cron expression: 5 fields, or 6 with seconds first (read as readCronOptions says). */
  readonly schedule: string;
  /** IANA zone the expression is read in. */
  readonly timezone: string;
  /** The sync each tick starts. */
  readonly request: ScheduledRequest;
}
