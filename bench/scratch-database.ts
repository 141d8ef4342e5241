import pg from "pg";
import { resolveEmbeddedDataDir } from "../tools/embedded-postgres/resolve-embedded-data-dir.js";
import { benchApplicationName } from "./table-stats.js";
import {
  startEmbeddedPostgres,
  type RunningEmbeddedPostgres,
} from "../tools/embedded-postgres/start-embedded-postgres.js";

/** Tried when neither --database-url nor DATABASE_URL is given. */
export const defaultAdminUrl = "postgres://postgres@127.0.0.1:5432/postgres";

/** A database of its own for one bench run, on a server the bench may create databases on. */
export interface ScratchDatabase {
  /** Connection URL of the scratch database. */
  readonly databaseUrl: string;
  /** Connection URL of the server's maintenance database (for checkpoints and server-wide facts). */
  readonly adminUrl: string;
  readonly name: string;
  /** "server" when a running server was used, "embedded" when the bench started one. */
  readonly origin: "server" | "embedded";
  /** Drops the database (and stops the embedded server, if any). Idempotent. */
  drop(): Promise<void>;
}

/** The same URL pointed at another database of the same server (user, host and options kept). */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function canConnect(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function execute(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: benchApplicationName });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates `zephr_bench_<pid>_<time>` on the given server (or the default local one); when neither was
 * given and none answers, starts a throwaway embedded PostgreSQL instead. The name is built from
 * numbers only, so it is safe to put into `create database`.
 */
export async function createScratchDatabase(requestedUrl: string | undefined): Promise<ScratchDatabase> {
  let adminUrl = requestedUrl ?? defaultAdminUrl;
  let embedded: RunningEmbeddedPostgres | undefined;
  if (!(await canConnect(adminUrl))) {
    if (requestedUrl !== undefined) {
      throw new Error(
        `Cannot connect to ${redact(adminUrl)}: check --database-url / DATABASE_URL (it must allow creating databases).`,
      );
    }
    embedded = await startEmbeddedPostgres({
      dataDir: resolveEmbeddedDataDir("bench-postgres"),
      persistent: false,
    });
    adminUrl = embedded.databaseUrl("postgres");
  }
  const name = `zephr_bench_${process.pid}_${Date.now()}`;
  try {
    await execute(adminUrl, `create database ${name}`);
  } catch (error) {
    await embedded?.stop();
    throw new Error(
      `Could not create the scratch database on ${redact(adminUrl)}: the bench needs a role that may create databases.`,
      { cause: error },
    );
  }
  let dropping: Promise<void> | undefined;
  return Object.freeze({
    databaseUrl: withDatabase(adminUrl, name),
    adminUrl,
    name,
    origin: embedded === undefined ? "server" : "embedded",
    drop: () =>
      (dropping ??= (async () => {
        try {
          await execute(adminUrl, `drop database if exists ${name} with (force)`);
        } finally {
          await embedded?.stop();
        }
      })()),
  });
}

/** The URL with its password hidden, for messages. */
export function redact(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable database URL)";
  }
}
