import { join } from "node:path";
import { findPackageRoot } from "../../src/package-root.js";

/** `.data/<name>` at the package root: the git-ignored home of local embedded clusters. */
export function resolveEmbeddedDataDir(name: string): string {
  return join(findPackageRoot(), ".data", name);
}
