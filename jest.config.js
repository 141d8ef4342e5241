// Tests run against a real PostgreSQL (DATABASE_URL, or an embedded server started by globalSetup)
// and a real HTTP server on loopback. ESM throughout: run jest with --experimental-vm-modules.
import { availableParallelism } from "node:os";

/** @type {import('jest').Config} */
export default {
  // Jest's default, one worker fewer than cores, is a single worker on two cores: the tests wait on
  // PostgreSQL and child processes much of the time, and two workers ran the suite in 130 s instead of 170.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
  },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  testSequencer: "<rootDir>/test/support/fresh-clone-first-sequencer.js",
  testTimeout: 60000,
};
