import type { z } from "zod";
import {
  apiUrl,
  boolean,
  choice,
  cron,
  duration,
  existingFile,
  fraction,
  integer,
  listenHost,
  port,
  postgresUrl,
  schemaName,
  text,
  timezone,
  type ValueKind,
} from "./value-kinds.js";

/**
 * Every environment variable zephr-sync reads, written once: where its value goes, what it may hold,
 * what an unset variable means, and its line in `--help` and row in the README (in this order). The
 * config types (config.ts), the validation and its messages (read-sections.ts), the help
 * (commands/help-text.ts) and the README table (render-env-table.ts) all come from here.
 */

export const logLevels = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const satisfies readonly [string, ...string[]];

/**
 * Which config object a variable lands in: `database` (every command), `zephr` and `zephrApi`
 * (SyncConfig.zephr: `zephrApi` holds what only requests to the API need, which `load` of a file does
 * without), `sync` (SyncConfig), `stateEvents` (SyncConfig.stateEvents), `schedule` (ScheduleConfig).
 */
export type Section = "database" | "zephr" | "zephrApi" | "sync" | "stateEvents" | "schedule";

/** The commands that read a section: a required variable is required for these. */
export const sectionCommands = {
  database: ["run", "backfill", "load", "schedule", "status", "migrate"],
  zephr: ["run", "backfill", "load", "schedule"],
  zephrApi: ["run", "backfill", "schedule"],
  sync: ["run", "backfill", "load", "schedule"],
  stateEvents: ["run", "backfill", "schedule"],
  schedule: ["schedule"],
} as const satisfies Record<Section, readonly string[]>;

/** What an unset (or empty) variable means: exactly one of the three. */
export type WhenUnset =
  /** The text it reads as, parsed like any other value (so the README shows what the code uses). */
  | { readonly default: string }
  /** A problem when unset, saying what to set it to. */
  | { readonly required: string }
  /** Undefined: the feature is off, or there is none. */
  | { readonly unset: "off" | "none" };

export type Variable<S extends Section = Section, F extends string = string, T = unknown> = {
  readonly section: S;
  /** The field of the section's config object it sets. */
  readonly field: F;
  readonly kind: ValueKind<T>;
  /** One short line for `--help`. */
  readonly help: string;
  /** Its README row (Markdown). */
  readonly readme: string;
} & WhenUnset;

export const configSpec = {
  DATABASE_URL: {
    section: "database",
    field: "databaseUrl",
    kind: postgresUrl,
    required: "set it to postgres://USER:PASSWORD@HOST:5432/DATABASE",
    help: "PostgreSQL connection string",
    readme: "PostgreSQL connection string.",
  },
  ZEPHR_SCHEMA: {
    section: "database",
    field: "schema",
    kind: schemaName,
    default: "zephr",
    help: "Schema of this tenant's tables (one per tenant in a shared database)",
    readme:
      'Schema of this tenant\'s tables, views, watermark and run lock; one schema per tenant lets tenants share a database (see "Several tenants in one database"). Lowercase letters, digits, `_`.',
  },
  ZEPHR_BASE_URL: {
    section: "zephrApi",
    field: "baseUrl",
    kind: apiUrl,
    required: "set it to your tenant's API host, https://TENANT.api.zephr.com",
    help: "Tenant API host, https://TENANT.api.zephr.com",
    readme:
      "Tenant API host, `https://TENANT.api.zephr.com`. Plain `http://` is refused for any host but this machine (`localhost`, `127.0.0.1`, `::1`: a local simulator) unless `ZEPHR_ALLOW_HTTP` is `true`.",
  },
  ZEPHR_ALLOW_HTTP: {
    section: "zephr",
    field: "allowHttp",
    kind: boolean,
    default: "false",
    help: "true allows http:// ZEPHR_BASE_URL beyond this machine",
    readme:
      "`true` accepts an `http://` `ZEPHR_BASE_URL` on another host (a simulator or proxy on a network you trust): requests, signatures and user data then cross it unencrypted.",
  },
  ZEPHR_ACCESS_KEY: {
    section: "zephrApi",
    field: "accessKey",
    kind: text,
    required: "the access key of an Admin API key pair (Zephr console → Settings)",
    help: "Admin API key pair: access key",
    readme:
      "Access key of an Admin API key pair. Requests run with the role of the admin user who owns it: it needs the privilege to export users.",
  },
  ZEPHR_SECRET_KEY: {
    section: "zephrApi",
    field: "secretKey",
    kind: text,
    required: "the secret key of the same key pair",
    help: "Admin API key pair: secret key (never logged)",
    readme: "Secret key of that pair. Never logged.",
  },
  SYNC_LOOKBACK: {
    section: "sync",
    field: "lookbackMs",
    kind: duration(0),
    default: "1h",
    help: "Overlap: since = watermark minus this",
    readme:
      "Overlap: an incremental run asks for users updated since watermark − this. Covers clock skew between runs and Zephr's undocumented inclusive/exclusive comparison.",
  },
  ZEPHR_PAGE_SIZE: {
    section: "zephr",
    field: "pageSize",
    kind: integer(1, 10_000),
    default: "500",
    help: "Users per export page (rpp), 1-10000",
    readme: "Users per export page (`rpp`), 1–10000.",
  },
  SYNC_BATCH_SIZE: {
    section: "sync",
    field: "batchSize",
    kind: integer(1, 50_000),
    default: "1000",
    help: "Users per database batch, 1-50000",
    readme: "Users per database batch (one statement per table per batch), 1–50000.",
  },
  ZEPHR_IDLE_TIMEOUT: {
    section: "zephr",
    field: "idleTimeoutMs",
    kind: duration(100),
    default: "60s",
    help: "Abort an attempt silent this long",
    readme: "An attempt that receives nothing for this long (headers or body) is aborted and retried.",
  },
  ZEPHR_PAGE_TIMEOUT: {
    section: "zephr",
    field: "pageTimeoutMs",
    kind: duration(0),
    default: "10m",
    help: "Abort a page not fully received in this long, 0 = none",
    readme:
      "A page request whose headers and whole body have not arrived within this long is aborted and retried (a body that trickles forever). `0` = no limit.",
  },
  ZEPHR_RETRIES: {
    section: "zephr",
    field: "retries",
    kind: integer(0, 100),
    default: "5",
    help: "Retries per page for transient faults",
    readme: "Retries per page for transient failures (network, timeout, 429, 5xx).",
  },
  ZEPHR_RETRY_MIN: {
    section: "zephr",
    field: "retryMinMs",
    kind: duration(0),
    default: "1s",
    help: "First retry delay (doubles, with jitter)",
    readme: "First retry delay; doubles each time, with jitter.",
  },
  ZEPHR_RETRY_MAX: {
    section: "zephr",
    field: "retryMaxMs",
    kind: duration(0),
    default: "60s",
    help: "Longest retry delay",
    readme: "Longest retry delay.",
  },
  ZEPHR_MAX_RETRY_AFTER: {
    section: "zephr",
    field: "maxRetryAfterMs",
    kind: duration(0),
    default: "10m",
    help: "Cap on a 429/503 Retry-After",
    readme: "Cap on a `Retry-After` Zephr asks for.",
  },
  ZEPHR_MAX_PAGES: {
    section: "zephr",
    field: "maxPages",
    kind: integer(1, 100_000_000),
    default: "100000",
    help: "Fail rather than fetch more pages",
    readme:
      "A run that needs more pages fails instead of looping (guards against a server that ignores `page`).",
  },
  ZEPHR_CA_FILE: {
    section: "zephr",
    field: "caFile",
    kind: existingFile,
    unset: "none",
    help: "PEM file of extra CAs for the Zephr host",
    readme:
      "PEM file of extra CA certificates for the Zephr host (a re-signing proxy). Certificate verification is always on.",
  },
  ZEPHR_INSTANT_PRECISION: {
    section: "zephr",
    field: "instantPrecision",
    kind: choice(["seconds", "milliseconds"]),
    default: "seconds",
    help: "since written as seconds or milliseconds",
    readme:
      "How `since` is written: `seconds` (`2024-01-01T00:00:00Z`, as Zephr documents) or `milliseconds`.",
  },
  ZEPHR_TIMEZONE: {
    section: "zephr",
    field: "grantTimezone",
    kind: timezone,
    default: "UTC",
    help: "Zone of Zephr's zone-less grant times",
    readme: "IANA zone of Zephr's zone-less grant times (`startTime`, `endTime`, `createdAt`).",
  },
  ZEPHR_WATERMARK_CLOCK: {
    section: "zephr",
    field: "watermarkClock",
    kind: choice(["server", "local"]),
    default: "server",
    help: "server (Date header) or local clock",
    readme: "Whose clock sets the watermark: Zephr's (HTTP `Date` of the first page) or `local`.",
  },
  ZEPHR_MAX_CLOCK_SKEW: {
    section: "zephr",
    field: "maxClockSkewMs",
    kind: duration(0),
    default: "5m",
    help: "Zephr's Date further ahead than this is not the watermark",
    readme:
      "How far ahead of this machine's clock Zephr's `Date` may be and still become the watermark; further ahead, this machine's clock is used (see \"How a run works\").",
  },
  ZEPHR_STATE_EVENTS: {
    section: "stateEvents",
    field: "enabled",
    kind: boolean,
    default: "false",
    help: "Also load the state events export (CSV, /v4)",
    readme:
      "`true` loads Zephr's subscriber state events export (CSV, `GET /v4/user-export?eventsExport=true`) after the users, into `zephr.user_state_events`. Opt-in: not every tenant has it.",
  },
  ZEPHR_STATE_EVENTS_BACKFILL: {
    section: "stateEvents",
    field: "backfillMs",
    kind: duration(60_000),
    default: "30d",
    help: "State events: how far back the first load starts",
    readme: "State events: how far back the first load starts.",
  },
  ZEPHR_STATE_EVENTS_WINDOW: {
    section: "stateEvents",
    field: "windowMs",
    kind: duration(60_000),
    default: "1d",
    help: "State events: longest range one request asks for",
    readme:
      "State events: the longest range one request asks for; the state events watermark moves after each.",
  },
  SYNC_MAX_DELETE_FRACTION: {
    section: "sync",
    field: "maxDeleteFraction",
    kind: fraction,
    default: "0.5",
    help: "Full export: refuse to mark more than this share deleted",
    readme:
      "A full export that would mark more than this share of live users deleted is treated as partial: nobody is marked and the run fails.",
  },
  SYNC_COUNT_TOLERANCE: {
    section: "sync",
    field: "countTolerance",
    kind: fraction,
    default: "0.001",
    help: "Share of Zephr's stated user count an export may fall short by",
    readme:
      "An export whose envelope states a total (`meta.count`) fails (`EXPORT_INCOMPLETE`, watermark unchanged) when the users received fall short of it by more than this share of it.",
  },
  SYNC_HISTORY: {
    section: "sync",
    field: "history",
    kind: boolean,
    default: "true",
    help: "Keep every version of users and grants (zephr.user_versions, …)",
    readme:
      "`true` keeps the history of users and grants (`zephr.user_versions`, `zephr.user_grant_versions`, `zephr.users_as_of(…)`): every version a run delivers, in the run's transaction; unchanged users still write nothing. `false` stops recording (history then misses every change made while off; see History).",
  },
  DB_STATEMENT_TIMEOUT: {
    section: "database",
    field: "statementTimeoutMs",
    kind: duration(0),
    default: "0",
    help: "statement_timeout, 0 = none",
    readme: "`statement_timeout` for the job's statements (`0` = none), e.g. `10m`.",
  },
  DB_CONNECT_TIMEOUT: {
    section: "database",
    field: "connectTimeoutMs",
    kind: duration(100),
    default: "10s",
    help: "Abandon a connection attempt after this",
    readme:
      "How long one attempt to open a PostgreSQL connection may take before it is abandoned (a server that does not answer never hangs the job).",
  },
  DB_CONNECT_RETRIES: {
    section: "database",
    field: "connectRetries",
    kind: integer(0, 100),
    default: "5",
    help: "Retries of the first connection to PostgreSQL",
    readme:
      "Retries, with backoff and jitter, when PostgreSQL cannot be reached at start; then the command fails with `DB_UNAVAILABLE` naming the host (exit 1).",
  },
  SYNC_SCHEDULE: {
    section: "schedule",
    field: "syncSchedule",
    kind: cron,
    default: "0 2 * * *",
    help: "schedule: cron of the incremental run",
    readme: "`schedule`: cron expression of the incremental run.",
  },
  SYNC_TIMEZONE: {
    section: "schedule",
    field: "timezone",
    kind: timezone,
    default: "UTC",
    help: "schedule: IANA zone of the cron times",
    readme: "`schedule`: IANA zone the cron expressions are read in.",
  },
  FULL_SYNC_SCHEDULE: {
    section: "schedule",
    field: "fullSyncSchedule",
    kind: cron,
    unset: "off",
    help: "schedule: cron of a full reconciliation",
    readme: "`schedule`: cron expression of a full reconciliation, e.g. `0 4 * * 0`.",
  },
  METRICS_PORT: {
    section: "schedule",
    field: "metricsPort",
    kind: port,
    unset: "off",
    help: "schedule: serve /healthz and /metrics",
    readme: "`schedule`: serve `/healthz` and Prometheus `/metrics` on this port.",
  },
  METRICS_HOST: {
    section: "schedule",
    field: "metricsHost",
    kind: listenHost,
    default: "127.0.0.1",
    help: "schedule: address they listen on (0.0.0.0: all)",
    readme:
      "`schedule`: the address `/healthz` and `/metrics` listen on: this machine only by default; `0.0.0.0` (every interface) to be scraped from elsewhere, as the Docker image sets it.",
  },
  SHUTDOWN_TIMEOUT: {
    section: "sync",
    field: "shutdownTimeoutMs",
    kind: duration(0),
    default: "30s",
    help: "Longest wait for a run to stop on a signal",
    readme: "After SIGTERM/SIGINT, how long a run may take to stop cleanly before the process exits anyway.",
  },
  LOG_LEVEL: {
    section: "database",
    field: "logLevel",
    kind: choice(logLevels),
    default: "info",
    help: "fatal, error, warn, info, debug, trace, silent",
    readme:
      "`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. Unset on a terminal: progress line plus warnings only.",
  },
} as const satisfies Record<string, Variable>;

type Spec = typeof configSpec;
export type VariableName = keyof Spec;

/** The typed value of a variable: its kind's output, or undefined for one unset means off or none. */
export type VariableValue<N extends VariableName> =
  z.output<Spec[N]["kind"]> | (Spec[N] extends { readonly unset: string } ? undefined : never);

/** The fields one section contributes to its config object, typed from the spec. */
export type SectionValues<S extends Section> = {
  readonly [N in VariableName as Spec[N]["section"] extends S ? Spec[N]["field"] : never]: VariableValue<N>;
};

/** Every variable's typed value, by name: what checks across variables read (config-checks.ts). */
export type ConfigValues = { readonly [N in VariableName]: VariableValue<N> };

/** The variable names, in the spec's (and the README's) order. */
export const variableNames = Object.keys(configSpec) as readonly VariableName[];
