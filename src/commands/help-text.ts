import { configVariables } from "../config.js";

export function helpText(version: string): string {
  const variables = configVariables
    .map(
      (v) =>
        `  ${v.name.padEnd(24)} ${v.meaning}${v.default.startsWith("(") ? ` ${v.default}` : ` (default ${v.default})`}`,
    )
    .join("\n");
  return `zephr-sync ${version}: keeps a PostgreSQL warehouse in step with the users of a Zephr tenant.

Usage:
  zephr-sync run                      Export users changed since the watermark (minus SYNC_LOOKBACK) and
                                      load them; the first run exports everyone. Applies pending
                                      migrations first. For cron jobs, CronJobs and systemd timers.
  zephr-sync backfill --since INSTANT [--dry-run]
                                      Re-export users updated since INSTANT (the watermark stays).
  zephr-sync backfill --registered-since INSTANT [--registered-before INSTANT] [--chunk 30d] [--dry-run]
                                      Walk the registration timeline in windows, checkpointing each one.
  zephr-sync backfill --resume        Continue the last unfinished registration backfill.
  zephr-sync backfill --full [--purge-deleted] [--dry-run]
                                      Complete export: users it no longer lists get deleted_at set
                                      (--purge-deleted removes their data); may move the watermark forward.
  zephr-sync status [--json] [--runs N] [--max-age 26h]
                                      Watermark, recent runs (default 10) and row counts; with --max-age,
                                      exits 1 when the last successful run is older than that.
  zephr-sync migrate                  Apply pending database migrations and exit.
  zephr-sync schedule                 Stay running: the incremental sync at SYNC_SCHEDULE (cron, default
                                      "0 2 * * *") and, when FULL_SYNC_SCHEDULE is set, a full
                                      reconciliation, both in SYNC_TIMEZONE; a job whose last scheduled
                                      time passed without a success runs at start. GET /healthz and
                                      /metrics on METRICS_PORT when set. Applies pending migrations first.
  zephr-sync --help | --version

  --dry-run fetches, parses and validates, reports what would change, and writes nothing.
  INSTANT is ISO 8601: 2024-01-31, 2024-01-31T12:00:00Z or with an offset.

Exit codes:
  0  success
  1  the run failed or was cancelled (recorded in zephr.sync_runs; the watermark is unchanged),
     or status --max-age found the warehouse stale; code INTERNAL is a bug in zephr-sync: report it
     with the stack from the log
  2  usage or configuration error (every problem is listed), or the database mirrors another tenant
     (TENANT_MISMATCH): use another DATABASE_URL
  3  another run holds the lock on this database

  SIGTERM or SIGINT cancels the current run and waits for it to stop (up to SHUTDOWN_TIMEOUT, default
  30s): run then exits 1, schedule 0; either exits 1 if the run did not stop in time. A second signal
  exits at once with 130 (SIGINT) or 143 (SIGTERM).

Environment:
${variables}
`;
}
