import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder of zephr-sync's package.json, found by walking up from this file, so paths to migrations/
 * and .data/ hold both from src/ (tests) and dist/src/ (the built CLI).
 */
export function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate) && isZephrSyncPackage(candidate)) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error("zephr-sync: cannot find its own package.json above " + import.meta.url);
    dir = parent;
  }
}

function isZephrSyncPackage(path: string): boolean {
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  return (
    typeof parsed === "object" && parsed !== null && (parsed as { name?: unknown }).name === "zephr-sync"
  );
}
