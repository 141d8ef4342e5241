import { resolveEmbeddedDataDir } from "../../tools/embedded-postgres/resolve-embedded-data-dir.js";
import {
  startEmbeddedPostgres,
  type RunningEmbeddedPostgres,
} from "../../tools/embedded-postgres/start-embedded-postgres.js";
import { saveHarnessState } from "./harness-state.js";
import { createTemplateDatabase } from "./template-database.js";
import { writeTestHarnessEnv } from "./test-harness-env.js";

/**
 * Prepares the one database server of a jest run: DATABASE_URL when set, else an embedded PostgreSQL in
 * .data/test-postgres (fresh each run, deleted by teardown). Migrates a template database once; each test
 * file then copies it with createTestDatabase().
 */
export async function setupTestDatabaseServer(): Promise<void> {
  const startedAt = Date.now();
  const databaseUrl = process.env.DATABASE_URL;
  let adminUrl: string;
  let embedded: RunningEmbeddedPostgres | undefined;
  if (databaseUrl) {
    adminUrl = databaseUrl;
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir: resolveEmbeddedDataDir("test-postgres"),
      persistent: false,
    });
    adminUrl = embedded.databaseUrl();
  }
  saveHarnessState({ embedded });
  const runId = String(process.pid);
  const template = `zephr_sync_test_template_${runId}`;
  try {
    await createTemplateDatabase(adminUrl, template);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  writeTestHarnessEnv({ adminUrl, template, databasePrefix: `zephr_sync_test_${runId}_` });
  const server = embedded
    ? `embedded PostgreSQL on port ${embedded.port}${describePrivateRoot(embedded)}`
    : `DATABASE_URL (${describeHost(adminUrl)})`;
  console.log(`\ntest database: template ${template} migrated on ${server} in ${Date.now() - startedAt} ms`);
}

/** Where the cluster runs when OS user postgres could not reach this checkout (as root from /root/…). */
function describePrivateRoot(embedded: RunningEmbeddedPostgres): string {
  return embedded.privateRoot === undefined
    ? ""
    : ` (from ${embedded.privateRoot}: OS user postgres cannot reach this checkout)`;
}

/** host:port of a connection URL, never its credentials. */
function describeHost(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || "5432"}`;
  } catch {
    return "unparsable URL";
  }
}
