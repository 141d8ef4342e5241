import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/logger.js";
import {
  refreshCatalogue,
  type CatalogueRefreshSummary,
} from "../../src/sync/catalogue/refresh-catalogue.js";
import {
  stateEventsDefaults,
  syncStateEvents,
  type StateEventsConfig,
  type StateEventsOutcome,
} from "../../src/sync/state-events/sync-state-events.js";
import type { StateEventsProgressEvent } from "../../src/sync/state-events/state-events-progress.js";
import type { SyncFixture } from "../support/sync-fixture.js";

/** A logger whose JSON lines are kept, to check what was logged. */
export function createRecordingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const text: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text.push(chunk.toString("utf8"));
      callback();
    },
  });
  return {
    logger: createLogger("info", sink),
    lines: () =>
      text
        .join("")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** refreshCatalogue against the fixture's simulator and database, on the fixture's clock. */
export function runCatalogueRefresh(fixture: SyncFixture, logger?: Logger): Promise<CatalogueRefreshSummary> {
  return refreshCatalogue({
    zephr: fixture.config.zephr,
    pool: fixture.db.pool,
    logger: logger ?? createLogger("silent"),
    now: fixture.clock.now,
    sleep: (ms) => {
      fixture.sleeps.push(ms);
      return Promise.resolve();
    },
  });
}

/** syncStateEvents against the fixture, enabled, with the given overrides. */
export function runStateEvents(
  fixture: SyncFixture,
  runId: string,
  overrides: Partial<StateEventsConfig> = {},
  progress: StateEventsProgressEvent[] = [],
  logger?: Logger,
): Promise<StateEventsOutcome> {
  return syncStateEvents(
    {
      zephr: fixture.config.zephr,
      stateEvents: { ...stateEventsDefaults, enabled: true, ...overrides },
      lookbackMs: fixture.config.lookbackMs,
      pool: fixture.db.pool,
      logger: logger ?? createLogger("silent"),
      now: fixture.clock.now,
      sleep: (ms) => {
        fixture.sleeps.push(ms);
        return Promise.resolve();
      },
      onProgress: (event) => progress.push(event),
    },
    { runId },
  );
}

const dayMs = 86_400_000;

/** `YYYY-MM-DD HH:mm:ss` (UTC, no zone), as Zephr writes grant times. */
export function zephrTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "");
}

/** ms `days` from the real now (the database's now() decides what is active). */
export function daysFromNow(days: number): number {
  return Date.now() + days * dayMs;
}
