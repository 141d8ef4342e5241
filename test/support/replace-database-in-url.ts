/** The same connection URL pointed at another database of the same server (user, host, options kept). */
export function replaceDatabaseInUrl(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
