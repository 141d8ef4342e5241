import { register } from "node:module";

/**
 * Jest's globalSetup: prepares the database server of the run (see setup-test-database-server.ts). The
 * work is imported only after registering hooks that let Node's loader, which jest uses for this file,
 * load our TypeScript sources.
 */
export default async function globalSetup(): Promise<void> {
  register("./typescript-module-hooks.js", import.meta.url);
  const { setupTestDatabaseServer } = await import("./setup-test-database-server.js");
  await setupTestDatabaseServer();
}
