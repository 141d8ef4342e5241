import { readSections, readSetText, type Env } from "./config/read-sections.js";
import type { SectionValues, logLevels } from "./config/config-spec.js";

/**
 * The only reader of process.env. What each variable means, holds and defaults to is declared once, in
 * config/config-spec.ts; this file names the config objects each command loads. Every value is
 * validated up front and every problem is reported at once; the result is frozen and passed down as an
 * argument.
 */

export type { Env } from "./config/read-sections.js";
export { logLevels } from "./config/config-spec.js";
export type LogLevel = (typeof logLevels)[number];

/** What `migrate` and `status` need (and every command): the database, its schema, logging. */
export interface DatabaseConfig extends SectionValues<"database"> {
  /** False when LOG_LEVEL was left unset: a terminal then shows progress and only warnings. */
  readonly logLevelSet: boolean;
}

/** How to reach and page through the Zephr export, from the ZEPHR_* variables. */
export type ZephrConfig = SectionValues<"zephr"> & SectionValues<"zephrApi">;

/** The opt-in state events phase. */
export interface StateEventsConfig extends SectionValues<"stateEvents"> {
  /** Rows per insert statement. */
  readonly batchRows: number;
}

/** What `run` and `backfill` need. */
export interface SyncConfig extends DatabaseConfig, SectionValues<"sync"> {
  readonly zephr: ZephrConfig;
  readonly stateEvents: StateEventsConfig;
}

/**
 * What `load` of export files needs: no key pair (a file needs none). ZEPHR_BASE_URL, when set, names
 * the tenant the files come from (checked against the warehouse's, as `run` does).
 */
export interface FileLoadConfig extends DatabaseConfig, SectionValues<"sync"> {
  readonly zephr: SectionValues<"zephr"> & { readonly baseUrl: string | undefined };
}

/** What `schedule` needs: the sync plus cron expressions, zone and metrics server. */
export type ScheduleConfig = SyncConfig & SectionValues<"schedule">;

const stateEventRowsPerInsert = 2000;

function assembleDatabaseConfig(env: Env, database: SectionValues<"database">): DatabaseConfig {
  return { ...database, logLevelSet: readSetText(env.LOG_LEVEL) !== undefined };
}

const syncSections = ["database", "zephr", "zephrApi", "sync", "stateEvents"] as const;

function assembleSyncConfig(
  env: Env,
  sections: { readonly [S in (typeof syncSections)[number]]: SectionValues<S> },
): SyncConfig {
  return {
    ...assembleDatabaseConfig(env, sections.database),
    ...sections.sync,
    zephr: { ...sections.zephr, ...sections.zephrApi },
    stateEvents: { ...sections.stateEvents, batchRows: stateEventRowsPerInsert },
  };
}

/** Throws ConfigError listing every problem. */
export function loadDatabaseConfig(env: Env): DatabaseConfig {
  return deepFreeze(assembleDatabaseConfig(env, readSections(env, ["database"]).database));
}

/** Throws ConfigError listing every problem. */
export function loadSyncConfig(env: Env): SyncConfig {
  return deepFreeze(assembleSyncConfig(env, readSections(env, syncSections)));
}

/** Throws ConfigError listing every problem. ZEPHR_ACCESS_KEY and ZEPHR_SECRET_KEY are not read. */
export function loadFileLoadConfig(env: Env): FileLoadConfig {
  const sections = readSections(env, ["database", "zephr", "sync"], ["zephrApi"]);
  return deepFreeze({
    ...assembleDatabaseConfig(env, sections.database),
    ...sections.sync,
    zephr: { ...sections.zephr, baseUrl: sections.zephrApi.baseUrl },
  });
}

/** Throws ConfigError listing every problem. */
export function loadScheduleConfig(env: Env): ScheduleConfig {
  const sections = readSections(env, [...syncSections, "schedule"]);
  return deepFreeze({ ...assembleSyncConfig(env, sections), ...sections.schedule });
}

/** The state events settings of an environment that sets none (for code that builds a SyncConfig itself). */
export const stateEventsDefaults: StateEventsConfig = deepFreeze({
  ...readSections({}, ["stateEvents"]).stateEvents,
  batchRows: stateEventRowsPerInsert,
});

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child as object);
  }
  return Object.freeze(value);
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
