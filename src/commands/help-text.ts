import { configSpec, variableNames } from "../config/config-spec.js";
import { describeUnset } from "../config/describe-unset.js";
import type { CommandName } from "./command-flags.js";

export function helpText(version: string): string {
  const nameWidth = Math.max(...variableNames.map((name) => name.length));
  const variables = variableNames
    .map((name) => {
      const variable = configSpec[name];
      const unset = "default" in variable ? `(default ${variable.default})` : describeUnset(variable, String);
      return `  ${name.padEnd(nameWidth)} ${variable.help} ${unset}`;
    })
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
  zephr-sync load FILE... [--full [--purge-deleted]] [--exported-at INSTANT] [--dry-run]
                                      Load export files downloaded from the Admin Console (- reads
                                      standard input; gzip is recognised); no key pair needed. The
                                      watermark moves only with --exported-at.
  zephr-sync status [--json] [--runs N] [--max-age 26h]
                                      Watermark, recent runs (default 10) and row counts; with --max-age,
                                      exits 1 when the last successful run is older than that.
  zephr-sync migrate                  Apply pending database migrations and exit.
  zephr-sync schedule                 Stay running: the incremental sync at SYNC_SCHEDULE (cron, default
                                      "0 2 * * *") and, when FULL_SYNC_SCHEDULE is set, a full
                                      reconciliation, both in SYNC_TIMEZONE; a job whose last scheduled
                                      time passed without a success runs at start. GET /healthz and
                                      /metrics on METRICS_HOST:METRICS_PORT when METRICS_PORT is set.
                                      Applies pending migrations first.
  zephr-sync COMMAND --help           That command's usage and flags (also: zephr-sync help COMMAND).
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
  exits at once with 130 (SIGINT) or 143 (SIGTERM); one within 1s of the first is that signal delivered
  twice (as under npx) and is ignored.

Environment:
${variables}
`;
}

/** What `zephr-sync COMMAND --help` says: the command's usage, what it does, its flags. */
const commandHelp: Record<CommandName, { usage: readonly string[]; about: string; flags: string }> = {
  run: {
    usage: ["zephr-sync run"],
    about: `Exports the users changed since the watermark (minus SYNC_LOOKBACK) and loads them; the first run
exports everyone. Applies pending migrations first. For cron jobs, CronJobs and systemd timers.
To look before writing, use 'zephr-sync backfill --full --dry-run' or 'backfill --since INSTANT --dry-run'.`,
    flags: "",
  },
  backfill: {
    usage: [
      "zephr-sync backfill --since INSTANT [--dry-run]",
      "zephr-sync backfill --registered-since INSTANT [--registered-before INSTANT] [--chunk 30d] [--dry-run]",
      "zephr-sync backfill --resume",
      "zephr-sync backfill --full [--purge-deleted] [--dry-run]",
    ],
    about: `Re-exports part or all of the tenant; exactly one of --since, --registered-since, --resume, --full.`,
    flags: `  --since INSTANT             users updated since INSTANT; the watermark stays
  --registered-since INSTANT  walk the registration timeline in windows, checkpointing each one
  --registered-before INSTANT end of that walk (default: now)
  --chunk DURATION            length of each window (default 30d, at least 1m)
  --resume                    continue the last unfinished registration backfill
  --full                      complete export: users it no longer lists get deleted_at set; may move
                              the watermark forward
  --purge-deleted             with --full: also remove the data of deleted users
  --dry-run                   fetch, parse and validate, report what would change, write nothing
                              (not with --resume)

  INSTANT is ISO 8601: 2024-01-31, 2024-01-31T12:00:00Z or with an offset.`,
  },
  load: {
    usage: ["zephr-sync load FILE... [--full [--purge-deleted]] [--exported-at INSTANT] [--dry-run]"],
    about: `Loads export files into the warehouse in one run (kind file in zephr.sync_runs): the JSON the Admin
Console downloads (https://console.zephr.com/v3/user-export?attributes=true&grants=true), a saved API
page ({"results": …}) or several of either; - reads standard input; gzip files are recognised by their
first bytes. Needs DATABASE_URL only: no Zephr key pair. With ZEPHR_BASE_URL set, the warehouse must
mirror that tenant; without it, the files' tenant cannot be checked.
Every file is first read through to its end: an empty, cut-short, HTML or non-UTF-8 file loads nothing
(exit 1, nothing written, no run row). Applies pending migrations first (not with --dry-run).`,
    flags: `  --full                the files are a complete export: users they do not list get deleted_at set
                        (same guard as backfill --full: SYNC_MAX_DELETE_FRACTION)
  --purge-deleted       with --full: also remove the data of deleted users
  --exported-at INSTANT when the files were downloaded: the watermark moves there (never backwards;
                        not beyond ZEPHR_MAX_CLOCK_SKEW in the future). Without it the watermark stays.
  --dry-run             read, parse and validate, report what would change, write nothing

  --full and --exported-at both say the files are complete: a file that states more users (meta.count)
  than the files hold, or only saved API pages that each name a next page, load nothing.
  INSTANT is ISO 8601: 2024-01-31, 2024-01-31T12:00:00Z or with an offset.`,
  },
  status: {
    usage: ["zephr-sync status [--json] [--runs N] [--max-age 26h]"],
    about: "Shows the tenant, the watermark, the last success, recent runs and row counts.",
    flags: `  --json            machine-readable output
  --runs N          how many recent runs to list (1-1000, default 10)
  --max-age DURATION
                    exit 1 when no incremental or full run succeeded within DURATION (e.g. 26h)`,
  },
  migrate: {
    usage: ["zephr-sync migrate"],
    about: `Applies pending database migrations and exits. Run it as the owner of the schema (a role with
CREATE on the database): see docs/database-privileges.md.`,
    flags: "",
  },
  schedule: {
    usage: ["zephr-sync schedule"],
    about: `Stays running: the incremental sync at SYNC_SCHEDULE (cron, default "0 2 * * *") and, when
FULL_SYNC_SCHEDULE is set, a full reconciliation, both in SYNC_TIMEZONE; a job whose last scheduled time
passed without a success runs at start. GET /healthz and /metrics on METRICS_HOST:METRICS_PORT when
METRICS_PORT is set. Applies pending migrations first.`,
    flags: "",
  },
};

export function commandHelpText(command: CommandName, version: string): string {
  const help = commandHelp[command];
  const flags = help.flags === "" ? "" : `\nOptions:\n${help.flags}\n`;
  return `zephr-sync ${version}

Usage:
${help.usage.map((line) => `  ${line}`).join("\n")}

${help.about}
${flags}
Exit codes: 0 success, 1 failed or cancelled (or stale, for status --max-age), 2 usage or
configuration error, 3 another run holds the lock. Every environment variable: 'zephr-sync --help'.
`;
}
