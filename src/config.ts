import { existsSync } from "node:fs";
import { ConfigError } from "./errors.js";
import { parseDurationMs } from "./duration.js";
import { findCronProblem } from "./schedule/create-cron-schedule.js";

/**
 * The only reader of process.env. Every value is validated up front and every problem is reported at
 * once; the result is frozen and passed down as an argument.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export const logLevels = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const satisfies readonly [string, ...string[]];
export type LogLevel = (typeof logLevels)[number];

export interface DatabaseConfig {
  readonly databaseUrl: string;
  /**
   * The schema holding this warehouse's tables, views, watermark, run lock and tenant (ZEPHR_SCHEMA): a
   * plain lowercase identifier, so several tenants can share one database, each in a schema of its own.
   */
  readonly schema: string;
  /** statement_timeout for the job's statements (ms); 0 = none. */
  readonly statementTimeoutMs: number;
  /** How long one attempt to open a connection may take before it is abandoned (ms). */
  readonly connectTimeoutMs: number;
  /** Retries of the first connection when the server cannot be reached (with backoff and jitter). */
  readonly connectRetries: number;
  readonly logLevel: LogLevel;
  /** False when LOG_LEVEL was left unset: a terminal then shows progress and only warnings. */
  readonly logLevelSet: boolean;
}

export interface ZephrConfig {
  /** e.g. https://acme.api.zephr.com, without a trailing slash. */
  readonly baseUrl: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** rpp: users per export page. */
  readonly pageSize: number;
  /** An attempt with no bytes received for this long is aborted and retried (ms). */
  readonly idleTimeoutMs: number;
  /**
   * Longest time one request may spend awaiting its headers plus reading its whole body (ms), after
   * which the attempt is aborted and retried; 0 = no limit. A page requested ahead is not timed while
   * it waits for its turn.
   */
  readonly pageTimeoutMs: number;
  /** Retries per page after the first attempt, for transient failures only. */
  readonly retries: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Longest Retry-After we honour (ms); a longer one is capped to this. */
  readonly maxRetryAfterMs: number;
  /** A run that needs more pages than this fails instead of looping (guards against servers ignoring `page`). */
  readonly maxPages: number;
  /** Extra CA certificates (PEM file) trusted for the Zephr host; verification is always on. */
  readonly caFile: string | undefined;
  /** How `since` and other instants are written: whole seconds (as Zephr documents) or milliseconds. */
  readonly instantPrecision: "seconds" | "milliseconds";
  /** Zone in which Zephr's zone-less grant times are read (IANA name). */
  readonly grantTimezone: string;
  /** Whose clock sets the watermark: Zephr's (HTTP Date header) or this machine's. */
  readonly watermarkClock: "server" | "local";
  /**
   * How far ahead of this machine's clock Zephr's Date may be and still become the watermark (ms);
   * a Date further ahead is not trusted and the local clock is used instead.
   */
  readonly maxClockSkewMs: number;
}

export interface SyncConfig extends DatabaseConfig {
  readonly zephr: ZephrConfig;
  /** Overlap subtracted from the watermark for the next `since` (ms). */
  readonly lookbackMs: number;
  /** Users per load batch (one set-based statement per table per batch). */
  readonly batchSize: number;
  /** After SIGTERM/SIGINT, how long a run may take to stop cleanly before the process exits anyway (ms). */
  readonly shutdownTimeoutMs: number;
  /**
   * A full export that would mark more than this share (0-1) of live users deleted is treated as a
   * partial export: nobody is marked and the run fails, since a truncated listing must not erase users.
   */
  readonly maxDeleteFraction: number;
  /**
   * An export whose envelope states a total (meta.count) fails when it delivered fewer users than that
   * total minus this share of it (users deleted while a long export is read shift pages).
   */
  readonly countTolerance: number;
  /** The opt-in state events phase. */
  readonly stateEvents: {
    readonly enabled: boolean;
    /** How far back the first load starts (ms). */
    readonly backfillMs: number;
    /** Longest range one request asks for (ms). */
    readonly windowMs: number;
    /** Rows per insert statement. */
    readonly batchRows: number;
  };
}

export interface ScheduleConfig extends SyncConfig {
  /** Cron expression of the nightly incremental run. */
  readonly syncSchedule: string;
  /** Cron expression of a full reconciliation, or undefined when off. */
  readonly fullSyncSchedule: string | undefined;
  /** IANA zone the cron expressions are read in. */
  readonly timezone: string;
  /** Port for /healthz and /metrics, or undefined when off. */
  readonly metricsPort: number | undefined;
  /** Address /healthz and /metrics listen on: loopback unless METRICS_HOST says otherwise. */
  readonly metricsHost: string;
}

const defaults = {
  ZEPHR_SCHEMA: "zephr",
  SYNC_LOOKBACK: "1h",
  ZEPHR_PAGE_SIZE: "500",
  SYNC_BATCH_SIZE: "1000",
  ZEPHR_IDLE_TIMEOUT: "60s",
  ZEPHR_PAGE_TIMEOUT: "10m",
  ZEPHR_RETRIES: "5",
  ZEPHR_RETRY_MIN: "1s",
  ZEPHR_RETRY_MAX: "60s",
  ZEPHR_MAX_RETRY_AFTER: "10m",
  ZEPHR_MAX_PAGES: "100000",
  ZEPHR_INSTANT_PRECISION: "seconds",
  ZEPHR_TIMEZONE: "UTC",
  ZEPHR_WATERMARK_CLOCK: "server",
  ZEPHR_MAX_CLOCK_SKEW: "5m",
  ZEPHR_ALLOW_HTTP: "false",
  METRICS_HOST: "127.0.0.1",
  DB_STATEMENT_TIMEOUT: "0",
  DB_CONNECT_TIMEOUT: "10s",
  DB_CONNECT_RETRIES: "5",
  LOG_LEVEL: "info",
  SYNC_SCHEDULE: "0 2 * * *",
  SYNC_TIMEZONE: "UTC",
  SHUTDOWN_TIMEOUT: "30s",
  SYNC_MAX_DELETE_FRACTION: "0.5",
  SYNC_COUNT_TOLERANCE: "0.001",
  ZEPHR_STATE_EVENTS: "false",
  ZEPHR_STATE_EVENTS_BACKFILL: "30d",
  ZEPHR_STATE_EVENTS_WINDOW: "1d",
} as const;

/** Every variable zephr-sync reads, with its default and meaning: the source of `--help` and the README table. */
export const configVariables: readonly { name: string; default: string; meaning: string }[] = [
  { name: "DATABASE_URL", default: "(required)", meaning: "PostgreSQL connection string" },
  {
    name: "ZEPHR_SCHEMA",
    default: defaults.ZEPHR_SCHEMA,
    meaning: "Schema of this tenant's tables (one per tenant in a shared database)",
  },
  {
    name: "ZEPHR_BASE_URL",
    default: "(required for run)",
    meaning: "Tenant API host, https://TENANT.api.zephr.com",
  },
  {
    name: "ZEPHR_ALLOW_HTTP",
    default: defaults.ZEPHR_ALLOW_HTTP,
    meaning: "true allows http:// ZEPHR_BASE_URL beyond this machine",
  },
  { name: "ZEPHR_ACCESS_KEY", default: "(required for run)", meaning: "Admin API key pair: access key" },
  {
    name: "ZEPHR_SECRET_KEY",
    default: "(required for run)",
    meaning: "Admin API key pair: secret key (never logged)",
  },
  {
    name: "SYNC_LOOKBACK",
    default: defaults.SYNC_LOOKBACK,
    meaning: "Overlap: since = watermark minus this",
  },
  {
    name: "ZEPHR_PAGE_SIZE",
    default: defaults.ZEPHR_PAGE_SIZE,
    meaning: "Users per export page (rpp), 1-10000",
  },
  {
    name: "SYNC_BATCH_SIZE",
    default: defaults.SYNC_BATCH_SIZE,
    meaning: "Users per database batch, 1-50000",
  },
  {
    name: "ZEPHR_IDLE_TIMEOUT",
    default: defaults.ZEPHR_IDLE_TIMEOUT,
    meaning: "Abort an attempt silent this long",
  },
  {
    name: "ZEPHR_PAGE_TIMEOUT",
    default: defaults.ZEPHR_PAGE_TIMEOUT,
    meaning: "Abort a page not fully received in this long, 0 = none",
  },
  {
    name: "ZEPHR_RETRIES",
    default: defaults.ZEPHR_RETRIES,
    meaning: "Retries per page for transient faults",
  },
  {
    name: "ZEPHR_RETRY_MIN",
    default: defaults.ZEPHR_RETRY_MIN,
    meaning: "First retry delay (doubles, with jitter)",
  },
  { name: "ZEPHR_RETRY_MAX", default: defaults.ZEPHR_RETRY_MAX, meaning: "Longest retry delay" },
  {
    name: "ZEPHR_MAX_RETRY_AFTER",
    default: defaults.ZEPHR_MAX_RETRY_AFTER,
    meaning: "Cap on a 429/503 Retry-After",
  },
  {
    name: "ZEPHR_MAX_PAGES",
    default: defaults.ZEPHR_MAX_PAGES,
    meaning: "Fail rather than fetch more pages",
  },
  { name: "ZEPHR_CA_FILE", default: "(none)", meaning: "PEM file of extra CAs for the Zephr host" },
  {
    name: "ZEPHR_INSTANT_PRECISION",
    default: defaults.ZEPHR_INSTANT_PRECISION,
    meaning: "since written as seconds or milliseconds",
  },
  {
    name: "ZEPHR_TIMEZONE",
    default: defaults.ZEPHR_TIMEZONE,
    meaning: "Zone of Zephr's zone-less grant times",
  },
  {
    name: "ZEPHR_WATERMARK_CLOCK",
    default: defaults.ZEPHR_WATERMARK_CLOCK,
    meaning: "server (Date header) or local clock",
  },
  {
    name: "ZEPHR_MAX_CLOCK_SKEW",
    default: defaults.ZEPHR_MAX_CLOCK_SKEW,
    meaning: "Zephr's Date further ahead than this is not the watermark",
  },
  {
    name: "DB_STATEMENT_TIMEOUT",
    default: defaults.DB_STATEMENT_TIMEOUT,
    meaning: "statement_timeout, 0 = none",
  },
  {
    name: "DB_CONNECT_TIMEOUT",
    default: defaults.DB_CONNECT_TIMEOUT,
    meaning: "Abandon a connection attempt after this",
  },
  {
    name: "DB_CONNECT_RETRIES",
    default: defaults.DB_CONNECT_RETRIES,
    meaning: "Retries of the first connection to PostgreSQL",
  },
  {
    name: "ZEPHR_STATE_EVENTS",
    default: defaults.ZEPHR_STATE_EVENTS,
    meaning: "Also load the state events export (CSV, /v4)",
  },
  {
    name: "ZEPHR_STATE_EVENTS_BACKFILL",
    default: defaults.ZEPHR_STATE_EVENTS_BACKFILL,
    meaning: "State events: how far back the first load starts",
  },
  {
    name: "ZEPHR_STATE_EVENTS_WINDOW",
    default: defaults.ZEPHR_STATE_EVENTS_WINDOW,
    meaning: "State events: longest range one request asks for",
  },
  {
    name: "SYNC_MAX_DELETE_FRACTION",
    default: defaults.SYNC_MAX_DELETE_FRACTION,
    meaning: "Full export: refuse to mark more than this share deleted",
  },
  {
    name: "SYNC_COUNT_TOLERANCE",
    default: defaults.SYNC_COUNT_TOLERANCE,
    meaning: "Share of Zephr's stated user count an export may fall short by",
  },
  {
    name: "SYNC_SCHEDULE",
    default: defaults.SYNC_SCHEDULE,
    meaning: "schedule: cron of the incremental run",
  },
  {
    name: "SYNC_TIMEZONE",
    default: defaults.SYNC_TIMEZONE,
    meaning: "schedule: IANA zone of the cron times",
  },
  { name: "FULL_SYNC_SCHEDULE", default: "(off)", meaning: "schedule: cron of a full reconciliation" },
  { name: "METRICS_PORT", default: "(off)", meaning: "schedule: serve /healthz and /metrics" },
  {
    name: "METRICS_HOST",
    default: defaults.METRICS_HOST,
    meaning: "schedule: address they listen on (0.0.0.0: all)",
  },
  {
    name: "SHUTDOWN_TIMEOUT",
    default: defaults.SHUTDOWN_TIMEOUT,
    meaning: "Longest wait for a run to stop on a signal",
  },
  {
    name: "LOG_LEVEL",
    default: defaults.LOG_LEVEL,
    meaning: "fatal, error, warn, info, debug, trace, silent",
  },
];

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: keyof typeof defaults): string {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? defaults[name] : value;
  }

  required(name: string, hint: string): string {
    const value = this.env[name]?.trim();
    if (value === undefined || value === "") {
      this.problems.push(`${name} is not set: ${hint}`);
      return "";
    }
    return value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  integer(name: keyof typeof defaults, min: number, max: number): number {
    const text = this.raw(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      this.problems.push(`${name}=${JSON.stringify(text)} must be a whole number from ${min} to ${max}`);
      return min;
    }
    return value;
  }

  duration(name: keyof typeof defaults, minMs: number): number {
    const text = this.raw(name);
    const ms = parseDurationMs(text);
    if (ms === undefined || ms < minMs) {
      this.problems.push(
        `${name}=${JSON.stringify(text)} must be a duration such as 30s, 15m, 1h or 1h30m` +
          (minMs > 0 ? ` of at least ${minMs}ms` : ""),
      );
      return minMs;
    }
    return ms;
  }

  fraction(name: keyof typeof defaults): number {
    const text = this.raw(name);
    const value = Number(text);
    if (!/^(0|1|0?\.\d+|1\.0+)$/.test(text) || value < 0 || value > 1) {
      this.problems.push(`${name}=${JSON.stringify(text)} must be a number from 0 to 1, e.g. 0.5`);
      return 0;
    }
    return value;
  }

  choice<T extends string>(name: keyof typeof defaults, choices: readonly [T, ...T[]]): T {
    const text = this.raw(name);
    const found = choices.find((c) => c === text);
    if (found === undefined) {
      this.problems.push(`${name}=${JSON.stringify(text)} must be one of: ${choices.join(", ")}`);
      return choices[0];
    }
    return found;
  }
}

function readDatabaseUrl(reader: Reader): string {
  const url = reader.required("DATABASE_URL", "set it to postgres://USER:PASSWORD@HOST:5432/DATABASE");
  if (url !== "" && !/^postgres(ql)?:\/\//.test(url)) {
    reader.problems.push("DATABASE_URL must start with postgres:// or postgresql://");
  }
  return url;
}

/**
 * ZEPHR_SCHEMA: a name PostgreSQL never folds or truncates (lowercase letters, digits, underscores, at
 * most 63 bytes; written quoted wherever it goes into SQL), and none of the schemas PostgreSQL or every
 * database already has.
 */
function readSchema(reader: Reader): string {
  const schema = reader.raw("ZEPHR_SCHEMA");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    reader.problems.push(
      `ZEPHR_SCHEMA=${JSON.stringify(schema)} must be a lowercase schema name: a letter or _ then letters, digits or _, at most 63 in all (e.g. zephr, tenant_b)`,
    );
  } else if (schema.startsWith("pg_") || schema === "public" || schema === "information_schema") {
    reader.problems.push(
      `ZEPHR_SCHEMA=${JSON.stringify(schema)} is a schema PostgreSQL reserves or every database shares: pick a schema of zephr-sync's own, e.g. zephr or tenant_b`,
    );
  }
  return schema;
}

function readDatabaseSection(reader: Reader): DatabaseConfig {
  return {
    databaseUrl: readDatabaseUrl(reader),
    schema: readSchema(reader),
    statementTimeoutMs: reader.duration("DB_STATEMENT_TIMEOUT", 0),
    connectTimeoutMs: reader.duration("DB_CONNECT_TIMEOUT", 100),
    connectRetries: reader.integer("DB_CONNECT_RETRIES", 0, 100),
    logLevel: reader.choice("LOG_LEVEL", logLevels),
    logLevelSet: reader.optional("LOG_LEVEL") !== undefined,
  };
}

function readBaseUrl(reader: Reader): string {
  const text = reader.required(
    "ZEPHR_BASE_URL",
    "set it to your tenant's API host, https://TENANT.api.zephr.com",
  );
  if (text === "") return "";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reader.problems.push(
      `ZEPHR_BASE_URL=${JSON.stringify(text)} is not a URL (expected https://TENANT.api.zephr.com)`,
    );
    return "";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    reader.problems.push("ZEPHR_BASE_URL must be an https:// (or, for a local simulator, http://) URL");
  }
  const allowHttp = reader.choice("ZEPHR_ALLOW_HTTP", ["false", "true"] as const) === "true";
  if (url.protocol === "http:" && !allowHttp && !isLoopbackHost(url.hostname)) {
    reader.problems.push(
      `ZEPHR_BASE_URL=${JSON.stringify(text)} is plain http:// to ${url.hostname}, not this machine: requests, ` +
        "their signatures and every user's data would cross the network unencrypted. Use https://, or set " +
        "ZEPHR_ALLOW_HTTP=true for a simulator or proxy on a network you trust",
    );
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    reader.problems.push("ZEPHR_BASE_URL must not contain credentials, a query or a fragment");
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** localhost, *.localhost, 127.0.0.0/8 or ::1: a server on this machine. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127(\.\d{1,3}){3}$/.test(host) ||
    host === "[::1]" ||
    host === "::1"
  );
}

/** METRICS_HOST: an IP address or host name to listen on, no port or scheme. */
function readListenHost(reader: Reader): string {
  const host = reader.raw("METRICS_HOST");
  if (!/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[A-Za-z0-9.-]+)$/.test(host)) {
    reader.problems.push(
      `METRICS_HOST=${JSON.stringify(host)} must be an address to listen on, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`,
    );
  }
  return host.replace(/^\[(.*)\]$/, "$1");
}

function readTimezone(reader: Reader, name: "ZEPHR_TIMEZONE" | "SYNC_TIMEZONE"): string {
  const zone = reader.raw(name);
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    reader.problems.push(
      `${name}=${JSON.stringify(zone)} is not an IANA time zone (e.g. UTC, Europe/London)`,
    );
  }
  return zone;
}

function readCron(reader: Reader, name: string, text: string): string {
  const problem = findCronProblem(text);
  if (problem !== undefined) {
    reader.problems.push(
      `${name}=${JSON.stringify(text)} is not a cron expression (${problem}; minute hour day-of-month month day-of-week, e.g. "0 2 * * *")`,
    );
  }
  return text;
}

function readPort(reader: Reader, name: string): number | undefined {
  const text = reader.optional(name);
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    reader.problems.push(`${name}=${JSON.stringify(text)} must be a port number from 1 to 65535`);
    return undefined;
  }
  return port;
}

function readCaFile(reader: Reader): string | undefined {
  const path = reader.optional("ZEPHR_CA_FILE");
  if (path !== undefined && !existsSync(path)) {
    reader.problems.push(`ZEPHR_CA_FILE=${JSON.stringify(path)} does not exist`);
  }
  return path;
}

function readZephrSection(reader: Reader): ZephrConfig {
  const zephr: ZephrConfig = {
    baseUrl: readBaseUrl(reader),
    accessKey: reader.required(
      "ZEPHR_ACCESS_KEY",
      "the access key of an Admin API key pair (Zephr console → Settings)",
    ),
    secretKey: reader.required("ZEPHR_SECRET_KEY", "the secret key of the same key pair"),
    pageSize: reader.integer("ZEPHR_PAGE_SIZE", 1, 10_000),
    idleTimeoutMs: reader.duration("ZEPHR_IDLE_TIMEOUT", 100),
    pageTimeoutMs: reader.duration("ZEPHR_PAGE_TIMEOUT", 0),
    retries: reader.integer("ZEPHR_RETRIES", 0, 100),
    retryMinMs: reader.duration("ZEPHR_RETRY_MIN", 0),
    retryMaxMs: reader.duration("ZEPHR_RETRY_MAX", 0),
    maxRetryAfterMs: reader.duration("ZEPHR_MAX_RETRY_AFTER", 0),
    maxPages: reader.integer("ZEPHR_MAX_PAGES", 1, 100_000_000),
    caFile: readCaFile(reader),
    instantPrecision: reader.choice("ZEPHR_INSTANT_PRECISION", ["seconds", "milliseconds"] as const),
    grantTimezone: readTimezone(reader, "ZEPHR_TIMEZONE"),
    watermarkClock: reader.choice("ZEPHR_WATERMARK_CLOCK", ["server", "local"] as const),
    maxClockSkewMs: reader.duration("ZEPHR_MAX_CLOCK_SKEW", 0),
  };
  if (zephr.retryMaxMs < zephr.retryMinMs) {
    reader.problems.push("ZEPHR_RETRY_MAX must not be shorter than ZEPHR_RETRY_MIN");
  }
  return zephr;
}

function finish<T extends object>(reader: Reader, config: T): Readonly<T> {
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child as object);
  }
  return Object.freeze(value);
}

/** What `migrate` and `status` need. Throws ConfigError listing every problem. */
export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const reader = new Reader(env);
  return finish(reader, readDatabaseSection(reader));
}

function readSyncSection(reader: Reader): SyncConfig {
  return {
    ...readDatabaseSection(reader),
    zephr: readZephrSection(reader),
    lookbackMs: reader.duration("SYNC_LOOKBACK", 0),
    batchSize: reader.integer("SYNC_BATCH_SIZE", 1, 50_000),
    shutdownTimeoutMs: reader.duration("SHUTDOWN_TIMEOUT", 0),
    maxDeleteFraction: reader.fraction("SYNC_MAX_DELETE_FRACTION"),
    countTolerance: reader.fraction("SYNC_COUNT_TOLERANCE"),
    stateEvents: {
      enabled: reader.choice("ZEPHR_STATE_EVENTS", ["false", "true"] as const) === "true",
      backfillMs: reader.duration("ZEPHR_STATE_EVENTS_BACKFILL", 60_000),
      windowMs: reader.duration("ZEPHR_STATE_EVENTS_WINDOW", 60_000),
      batchRows: 2000,
    },
  };
}

/** What `run` and `backfill` need. Throws ConfigError listing every problem. */
export function loadSyncConfig(env: Env): SyncConfig {
  const reader = new Reader(env);
  return finish(reader, readSyncSection(reader));
}

/** What `schedule` needs: the sync plus cron expressions, zone and metrics port. */
export function loadScheduleConfig(env: Env): ScheduleConfig {
  const reader = new Reader(env);
  const fullSchedule = reader.optional("FULL_SYNC_SCHEDULE");
  const config: ScheduleConfig = {
    ...readSyncSection(reader),
    syncSchedule: readCron(reader, "SYNC_SCHEDULE", reader.raw("SYNC_SCHEDULE")),
    fullSyncSchedule:
      fullSchedule === undefined ? undefined : readCron(reader, "FULL_SYNC_SCHEDULE", fullSchedule),
    timezone: readTimezone(reader, "SYNC_TIMEZONE"),
    metricsPort: readPort(reader, "METRICS_PORT"),
    metricsHost: readListenHost(reader),
  };
  return finish(reader, config);
}

/** The database URL with its password replaced, for messages. */
export function redactDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
