import pg from "pg";

/** Runs fn on one short-lived connection to the admin database, which is closed whatever happens. */
export async function withAdminClient<T>(
  adminUrl: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: "zephr-sync-test-harness" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
