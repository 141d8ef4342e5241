import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findPackageRoot } from "../../src/package-root.js";

export function readReadme(): string {
  return readFileSync(join(findPackageRoot(), "README.md"), "utf8");
}

/** The commands of the README's first code block: the two a newcomer runs. */
export function readmeOpeningCommands(readme = readReadme()): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(readme);
  if (block?.[1] === undefined) throw new Error("README.md has no ```sh code block");
  return block[1]
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}
