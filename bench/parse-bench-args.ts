import { parseArgs } from "node:util";

/** What one `npm run bench` is asked to do; frozen once parsed. */
export interface BenchOptions {
  /** Users the simulator generates. */
  readonly users: number;
  /** Generator seed (same seed, same users). */
  readonly seed: number;
  /** ZEPHR_PAGE_SIZE for the runs; undefined = the project's default. */
  readonly pageSize: number | undefined;
  /** SYNC_BATCH_SIZE for the runs; undefined = the project's default. */
  readonly batchSize: number | undefined;
  /** Server to create the scratch database on (as a superuser); undefined = DATABASE_URL or the local default. */
  readonly databaseUrl: string | undefined;
  /** Share of users changed before the incremental run (0.01 = 1%). */
  readonly changedShare: number;
  /** Folder for `node --cpu-prof` profiles of every child, or undefined for none. */
  readonly cpuProfileDir: string | undefined;
  /** Where to write the results as JSON, or undefined. */
  readonly jsonPath: string | undefined;
  /** A previous run's JSON (e.g. at 100,000 users) to compare peak RSS against. */
  readonly rssBaselinePath: string | undefined;
  /** NODE_OPTIONS for the `zephr-sync` children (e.g. "--max-old-space-size=128"), or undefined. */
  readonly childNodeOptions: string | undefined;
  /** Longest any one phase may take before it is killed (ms). */
  readonly phaseTimeoutMs: number;
}

export const benchUsage = `Usage: npm run bench -- [options]

  --users N               users the simulator generates (default 200000)
  --seed N                generator seed (default 1)
  --page-size N           ZEPHR_PAGE_SIZE for the runs (default: the project's default)
  --batch-size N          SYNC_BATCH_SIZE for the runs (default: the project's default)
  --database-url URL      server for the scratch database, as a superuser
                          (default: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres,
                          else an embedded PostgreSQL)
  --changed-percent P     users changed before the incremental run (default 1)
  --node-options=TEXT     NODE_OPTIONS for the zephr-sync runs, e.g. --node-options=--max-old-space-size=128
  --cpu-prof DIR          write a V8 CPU profile of every child process into DIR
  --json FILE             also write the results as JSON
  --rss-baseline FILE     a previous --json result (e.g. at 100000 users): check peak RSS <= 1.25x its peak
  --phase-timeout-minutes N  kill a phase that takes longer (default 30)
  -h, --help
`;

export class BenchUsageError extends Error {}

function wholeNumber(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new BenchUsageError(`--${name} takes a whole number from ${min} to ${max}, got ${text}`);
  }
  return value;
}

/** Parses the command line; undefined when help was asked for. Throws BenchUsageError. */
export function parseBenchArgs(args: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        users: { type: "string" },
        seed: { type: "string" },
        "page-size": { type: "string" },
        "batch-size": { type: "string" },
        "database-url": { type: "string" },
        "changed-percent": { type: "string" },
        "cpu-prof": { type: "string" },
        "node-options": { type: "string" },
        json: { type: "string" },
        "rss-baseline": { type: "string" },
        "phase-timeout-minutes": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return undefined;
  const changedPercent = Number(values["changed-percent"] ?? "1");
  if (!Number.isFinite(changedPercent) || changedPercent <= 0 || changedPercent > 100) {
    throw new BenchUsageError("--changed-percent takes a number above 0 and at most 100");
  }
  const fromEnv = env.DATABASE_URL?.trim();
  return Object.freeze({
    users: wholeNumber(values.users, "users", 1_000, 10_000_000) ?? 200_000,
    seed: wholeNumber(values.seed, "seed", 0, 2 ** 31 - 1) ?? 1,
    pageSize: wholeNumber(values["page-size"], "page-size", 1, 10_000),
    batchSize: wholeNumber(values["batch-size"], "batch-size", 1, 50_000),
    databaseUrl: values["database-url"] ?? (fromEnv === undefined || fromEnv === "" ? undefined : fromEnv),
    changedShare: changedPercent / 100,
    cpuProfileDir: values["cpu-prof"],
    childNodeOptions: values["node-options"],
    jsonPath: values.json,
    rssBaselinePath: values["rss-baseline"],
    phaseTimeoutMs:
      (wholeNumber(values["phase-timeout-minutes"], "phase-timeout-minutes", 1, 600) ?? 30) * 60_000,
  });
}
