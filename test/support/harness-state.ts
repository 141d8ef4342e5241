import type { RunningEmbeddedPostgres } from "../../tools/embedded-postgres/start-embedded-postgres.js";

/** What globalSetup leaves for globalTeardown, which jest runs in the same process. */
export interface HarnessState {
  /** The server globalSetup started itself when DATABASE_URL was not set. */
  readonly embedded: RunningEmbeddedPostgres | undefined;
}

const key = Symbol.for("zephr-sync.test-harness");

export function saveHarnessState(state: HarnessState): void {
  (globalThis as Record<symbol, unknown>)[key] = state;
}

/** Returns and forgets the saved state (undefined when globalSetup saved none). */
export function takeHarnessState(): HarnessState | undefined {
  const store = globalThis as Record<symbol, unknown>;
  const state = store[key] as HarnessState | undefined;
  store[key] = undefined;
  return state;
}
