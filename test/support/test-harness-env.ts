/**
 * What globalSetup hands to the test workers. Jest starts its workers after globalSetup, with a copy of
 * the main process's environment, so process.env is the channel (globals set there reach only teardown).
 */
export interface TestHarnessEnv {
  /** A superuser connection URL for the server under test (DATABASE_URL, or the embedded server). */
  readonly adminUrl: string;
  /** The migrated template database every test database is copied from. */
  readonly template: string;
  /** Every test database of this run is named with this prefix, so teardown can sweep forgotten ones. */
  readonly databasePrefix: string;
}

const names = {
  adminUrl: "ZEPHR_SYNC_TEST_ADMIN_URL",
  template: "ZEPHR_SYNC_TEST_TEMPLATE",
  databasePrefix: "ZEPHR_SYNC_TEST_DATABASE_PREFIX",
} as const satisfies Record<keyof TestHarnessEnv, string>;

export function writeTestHarnessEnv(values: TestHarnessEnv, env: NodeJS.ProcessEnv = process.env): void {
  env[names.adminUrl] = values.adminUrl;
  env[names.template] = values.template;
  env[names.databasePrefix] = values.databasePrefix;
}

export function readTestHarnessEnv(env: NodeJS.ProcessEnv = process.env): TestHarnessEnv {
  const adminUrl = env[names.adminUrl];
  const template = env[names.template];
  const databasePrefix = env[names.databasePrefix];
  if (!adminUrl || !template || !databasePrefix) {
    throw new Error(
      `${Object.values(names).join(", ")} are not set: run the tests through jest (npm test), whose ` +
        "globalSetup (test/support/global-setup.ts) prepares the database server and sets them.",
    );
  }
  return Object.freeze({ adminUrl, template, databasePrefix });
}
