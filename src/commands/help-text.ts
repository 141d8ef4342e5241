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
  zephr-sync run [--full]             Export users changed since the watermark (minus SYNC_LOOKBACK) and
                                      load them; the first run, or --full, exports everyone. Applies
                                      pending migrations first.
  zephr-sync status [--json] [--runs N]
                                      Watermark, recent runs (default 10) and row counts.
  zephr-sync migrate                  Apply pending database migrations and exit.
  zephr-sync --help | --version

Exit codes:
  0  success
  1  the run failed (recorded in zephr.sync_runs; the watermark is unchanged)
  2  usage or configuration error (every problem is listed)
  3  another run holds the lock on this database

Environment:
${variables}
`;
}
