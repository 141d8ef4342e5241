import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { UserIds } from "./ensure-postgres-user.js";

const execFileAsync = promisify(execFile);

/** `-x`: may execute the file or search the folder; `-w`: may write it. Both need search on every parent. */
export type AccessFlag = "-x" | "-w";

/**
 * Whether the OS user `ids` may reach `path` as `flag` says, asked of `test` running as that user (root
 * only): the kernel's own answer, ACLs and every parent folder's mode included.
 */
export async function canUserAccess(ids: UserIds, flag: AccessFlag, path: string): Promise<boolean> {
  try {
    // cwd "/": the child starts as that user, who may not be able to enter the caller's working folder.
    await execFileAsync("test", [flag, path], { uid: ids.uid, gid: ids.gid, cwd: "/" });
    return true;
  } catch (error) {
    // `test` exits 1 for "no"; anything else (it could not be run at all) is a real failure.
    if (typeof error === "object" && error !== null && "code" in error && error.code === 1) return false;
    throw error;
  }
}
