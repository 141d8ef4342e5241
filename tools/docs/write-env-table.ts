import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { replaceEnvTable } from "../../src/config/render-env-table.js";
import { findPackageRoot } from "../../src/package-root.js";

// `npm run docs:env`: rewrites the README's table of environment variables from src/config/config-spec.ts
// (test/docs/readme.test.ts fails until the two agree).
const path = join(findPackageRoot(), "README.md");
const readme = readFileSync(path, "utf8");
const rewritten = replaceEnvTable(readme);
if (rewritten === readme) {
  console.log("README.md: the environment table already matches src/config/config-spec.ts");
} else {
  writeFileSync(path, rewritten);
  console.log("README.md: rewrote the environment table from src/config/config-spec.ts");
}
