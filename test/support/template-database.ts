import pg from "pg";
import { migrateDatabase } from "../../src/db/migrate.js";
import { replaceDatabaseInUrl } from "./replace-database-in-url.js";
import { withAdminClient } from "./with-admin-client.js";

/**
 * Creates the template afresh and migrates it once. It is then marked as a template that accepts no
 * connections, because `create database … template` fails with "source database is being accessed by
 * other users" (55006) while anyone is connected to it; copies taken at the same time are fine.
 */
export async function createTemplateDatabase(adminUrl: string, template: string): Promise<void> {
  await dropTemplateDatabase(adminUrl, template);
  await withAdminClient(adminUrl, (admin) => admin.query(`create database ${pg.escapeIdentifier(template)}`));
  const client = new pg.Client({ connectionString: replaceDatabaseInUrl(adminUrl, template) });
  await client.connect();
  try {
    await migrateDatabase(client, "zephr");
  } finally {
    await client.end();
  }
  await withAdminClient(adminUrl, (admin) =>
    admin.query(
      `alter database ${pg.escapeIdentifier(template)} with is_template true allow_connections false`,
    ),
  );
}

/** Drops the template if it exists; a template database must be unmarked before it can be dropped. */
export async function dropTemplateDatabase(adminUrl: string, template: string): Promise<void> {
  await withAdminClient(adminUrl, async (admin) => {
    const found = await admin.query("select 1 from pg_database where datname = $1::text", [template]);
    if (found.rowCount === 0) return;
    await admin.query(`alter database ${pg.escapeIdentifier(template)} with is_template false`);
    await admin.query(`drop database if exists ${pg.escapeIdentifier(template)} with (force)`);
  });
}

/** Drops every database whose name starts with prefix: test databases a test file forgot to drop. */
export async function dropDatabasesWithPrefix(adminUrl: string, prefix: string): Promise<readonly string[]> {
  return withAdminClient(adminUrl, async (admin) => {
    const found = await admin.query<{ datname: string }>(
      "select datname from pg_database where starts_with(datname, $1::text) and not datistemplate",
      [prefix],
    );
    const names = found.rows.map((row) => row.datname);
    for (const name of names)
      await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    return names;
  });
}
