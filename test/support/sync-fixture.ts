import { loadSyncConfig, type SyncConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { runSync, type SyncOutcome, type SyncRequest } from "../../src/sync/run/run-sync.js";
import {
  startZephrSimulator,
  type RecordedRequest,
  type SimulatorOptions,
  type ZephrSimulator,
} from "../../tools/simulator/index.js";
import { resetWarehouse } from "./reset-warehouse.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

export const testKeys = { accessKey: "test-access-key", secretKey: "test-secret-key-do-not-leak" } as const;

/** A controllable clock shared by the simulator (Date header, updatedAt) and the job. */
export class TestClock {
  readonly startMs: number;
  constructor(public nowMs = Date.parse("2026-11-29T02:00:00Z")) {
    this.startMs = nowMs;
  }
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export interface SyncFixture {
  readonly db: TestDatabase;
  readonly simulator: ZephrSimulator;
  readonly clock: TestClock;
  readonly config: SyncConfig;
  /** Every wait the job asked for (Retry-After), instead of sleeping. */
  readonly sleeps: number[];
  /** The user export requests the simulator answered (not the catalogue or state events calls). */
  exportRequests(): RecordedRequest[];
  run(request?: SyncRequest, env?: Record<string, string>, signal?: AbortSignal): Promise<SyncOutcome>;
  /**
   * Back to the state `startSyncFixture` gave (for a beforeEach): an empty warehouse, the clock at its
   * start, the simulator's users seeded again as asked, and no fault, request, state event, catalogue
   * override or recorded sleep left from an earlier test. Cheaper than a new database per test.
   */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The env a test run uses: small pages and batches so paging and batching are exercised. */
export function fixtureEnv(
  databaseUrl: string,
  simulatorUrl: string,
  overrides: Record<string, string> = {},
) {
  return {
    DATABASE_URL: databaseUrl,
    ZEPHR_BASE_URL: simulatorUrl,
    ZEPHR_ACCESS_KEY: testKeys.accessKey,
    ZEPHR_SECRET_KEY: testKeys.secretKey,
    ZEPHR_PAGE_SIZE: "50",
    SYNC_BATCH_SIZE: "70",
    ZEPHR_RETRY_MIN: "1ms",
    ZEPHR_RETRY_MAX: "5ms",
    ZEPHR_IDLE_TIMEOUT: "2s",
    LOG_LEVEL: "silent",
    ...overrides,
  };
}

/** A fresh database and a simulator whose clock is the test's. */
export async function startSyncFixture(
  simulatorOptions: Partial<SimulatorOptions> = {},
  env: Record<string, string> = {},
): Promise<SyncFixture> {
  const clock = new TestClock();
  const db = await createTestDatabase();
  const simulator = await startZephrSimulator({ ...testKeys, clock: clock.now, ...simulatorOptions });
  const config = loadSyncConfig(fixtureEnv(db.databaseUrl, simulator.url, env));
  const sleeps: number[] = [];
  const logger = createLogger("silent");
  return {
    db,
    simulator,
    clock,
    config,
    sleeps,
    exportRequests: () => simulator.requests.filter((r) => r.path === "/v3/user-export"),
    run(request = { kind: "incremental" }, runEnv, signal) {
      const runConfig =
        runEnv === undefined
          ? config
          : loadSyncConfig(fixtureEnv(db.databaseUrl, simulator.url, { ...env, ...runEnv }));
      return runSync(
        {
          config: runConfig,
          pool: db.pool,
          logger,
          now: clock.now,
          sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
          },
          ...(signal ? { signal } : {}),
        },
        request,
      );
    },
    async reset() {
      await resetWarehouse(db.pool);
      clock.nowMs = clock.startMs;
      simulator.store.clear();
      if (simulatorOptions.users !== undefined) simulator.store.seedGenerated(simulatorOptions.users);
      simulator.faults.clear();
      simulator.requests.length = 0;
      simulator.catalogue.reset();
      simulator.stateEvents.clear();
      simulator.stateEvents.faults.clear();
      simulator.stateEvents.enabled = true;
      sleeps.length = 0;
    },
    async close() {
      await simulator.close();
      await db.drop();
    },
  };
}

/** Narrows an outcome to success, failing the test with the run's error otherwise. */
export function expectSucceeded(outcome: SyncOutcome): Extract<SyncOutcome, { status: "succeeded" }> {
  if (outcome.status !== "succeeded") {
    throw new Error(
      `expected the run to succeed, got ${outcome.status}: ${outcome.status === "failed" ? outcome.error.message : ""}`,
    );
  }
  return outcome;
}

/** Narrows an outcome to failure. */
export function expectFailed(outcome: SyncOutcome): Extract<SyncOutcome, { status: "failed" | "cancelled" }> {
  if (outcome.status !== "failed") throw new Error(`expected the run to fail, got ${outcome.status}`);
  return outcome;
}
