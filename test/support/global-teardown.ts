/**
 * Jest's globalTeardown: drops the run's databases and stops the embedded server, if one was started
 * (see teardown-test-database-server.ts). globalSetup registered the TypeScript module hooks already.
 */
export default async function globalTeardown(): Promise<void> {
  const { teardownTestDatabaseServer } = await import("./teardown-test-database-server.js");
  await teardownTestDatabaseServer();
}
