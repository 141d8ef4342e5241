import { takeHarnessState } from "./harness-state.js";
import { dropDatabasesWithPrefix, dropTemplateDatabase } from "./template-database.js";
import { readTestHarnessEnv } from "./test-harness-env.js";

/** Undoes globalSetup: drops this run's databases and template, then stops the embedded server if any. */
export async function teardownTestDatabaseServer(): Promise<void> {
  const state = takeHarnessState();
  try {
    const { adminUrl, template, databasePrefix } = readTestHarnessEnv();
    const forgotten = await dropDatabasesWithPrefix(adminUrl, databasePrefix);
    if (forgotten.length > 0) {
      console.warn(`test databases not dropped by their test files, dropped now: ${forgotten.join(", ")}`);
    }
    await dropTemplateDatabase(adminUrl, template);
  } finally {
    await state?.embedded?.stop();
  }
}
