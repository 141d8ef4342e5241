import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The pid in `<dataDir>/postmaster.pid` when that process is still alive, else undefined. A pid file left
 * by a crash names a dead process (or, after a reboot, possibly an unrelated one: the caller's message
 * says which file to delete).
 */
export async function findRunningPostmaster(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, "postmaster.pid"), "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  const pid = Number.parseInt(text.split("\n", 1)[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: the process exists but belongs to another user, which is still "running".
    if (errorCode(error) === "EPERM") return pid;
    return undefined;
  }
}

/** The errno code of a Node system error. Checked by shape: under jest, `instanceof Error` fails across realms. */
function errorCode(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
}
