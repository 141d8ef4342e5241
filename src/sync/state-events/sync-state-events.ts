import type { Agent } from "node:http";
import type { StateEventsConfig, ZephrConfig } from "../../config.js";
import { SyncError, describeError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Pool } from "../../db/pool.js";
import { withTransaction } from "../../db/pool.js";
import { findWatermark, saveWatermark } from "../../db/sync-watermarks.js";
import { insertStateEvents } from "../../db/user-state-events.js";
import {
  addStateEventLoadWindow,
  insertStateEventLoad,
  markStateEventLoadEnded,
} from "../../db/state-event-loads.js";
import { createZephrAgent } from "../../zephr/http/open-export-page.js";
import { retryTransient } from "../../zephr/http/retry-transient.js";
import { streamStateEvents, type StateEventsWindow } from "../../zephr/export/state-events-export.js";
import { normalizeStateEvent, type StateEventRecord } from "./normalize-state-event.js";
import { readCaFile } from "../read-ca-file.js";
import type { StateEventsProgressListener } from "./state-events-progress.js";
import { toSyncError } from "../to-sync-error.js";

/** The zephr.sync_watermarks stream of the state events export: the `to` of the last loaded window. */
export const stateEventsStream = "state_events";

// Declared with the other settings in src/config (ZEPHR_STATE_EVENTS*); re-exported for this phase's callers.
export { stateEventsDefaults, type StateEventsConfig } from "../../config.js";

export interface StateEventsDeps {
  readonly zephr: ZephrConfig;
  readonly stateEvents: StateEventsConfig;
  /** Overlap subtracted from the watermark for the next `from` (SYNC_LOOKBACK, ms). */
  readonly lookbackMs: number;
  readonly pool: Pool;
  readonly logger: Logger;
  /** ms since the epoch: `to` of the last window, and signatures. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
  /** The run's keep-alive agent, if it has one; otherwise one is made for the phase and destroyed after. */
  readonly agent?: Agent | undefined;
  readonly onProgress?: StateEventsProgressListener | undefined;
}

export interface StateEventsRequest {
  /** The run this phase belongs to (its user phase has committed): recorded on the rows and watermark. */
  readonly runId: string;
}

interface StateEventsCounts {
  readonly windows: number;
  readonly rowsReceived: number;
  readonly rowsInserted: number;
}

export type StateEventsOutcome =
  | { readonly status: "disabled" }
  | ({
      readonly status: "succeeded";
      readonly fromAt: Date;
      readonly toAt: Date;
    } & StateEventsCounts)
  | ({
      readonly status: "failed";
      readonly error: SyncError;
      /** `State events export failed: <reason>`, for the run's report. */
      readonly message: string;
    } & StateEventsCounts);

/** Splits [fromMs, toMs) into consecutive windows of at most windowMs. */
export function planStateEventWindows(fromMs: number, toMs: number, windowMs: number): StateEventsWindow[] {
  const windows: StateEventsWindow[] = [];
  for (let start = fromMs; start < toMs; start += windowMs) {
    windows.push({ fromMs: start, toMs: Math.min(start + windowMs, toMs) });
  }
  return windows;
}

function floorTo(ms: number, precision: ZephrConfig["instantPrecision"]): number {
  return precision === "seconds" ? Math.floor(ms / 1000) * 1000 : ms;
}

function asSyncError(error: unknown, signal: AbortSignal | undefined, logger: Logger): SyncError {
  if (error instanceof SyncError) return error;
  if (signal?.aborted === true) {
    return new SyncError("CANCELLED", "The state events phase was cancelled.", { cause: error });
  }
  return toSyncError(error, "loading state events", logger);
}

/**
 * The opt-in second phase of a run: loads the state events export into zephr.user_state_events,
 * incrementally. The range is [watermark − lookback, now) (the first time [now − backfill, now)), asked
 * for in windows; rows are inserted batch by batch and deduplicated by the hash of their content, and
 * the `state_events` watermark moves to each window's end once it is loaded, so a failure keeps what was
 * loaded and the next run goes on from there. Never throws: a failure is logged, recorded in
 * zephr.state_event_loads and returned; the run's user data, already committed, is unaffected.
 */
export async function syncStateEvents(
  deps: StateEventsDeps,
  request: StateEventsRequest,
): Promise<StateEventsOutcome> {
  const { zephr, stateEvents, pool } = deps;
  if (!stateEvents.enabled) return { status: "disabled" };
  const logger = deps.logger.child({ runId: request.runId, phase: "state-events" });
  const report = deps.onProgress ?? (() => undefined);
  let counts: StateEventsCounts = { windows: 0, rowsReceived: 0, rowsInserted: 0 };
  let loadId: string | undefined;
  let ownAgent: Agent | undefined;
  try {
    const agent = deps.agent ?? (ownAgent = createZephrAgent(zephr.baseUrl, readCaFile(zephr.caFile)));
    const watermark = await findWatermark(pool, stateEventsStream);
    const nowMs = deps.now();
    const toMs = floorTo(nowMs, zephr.instantPrecision);
    const fromMs = floorTo(
      watermark === null ? nowMs - stateEvents.backfillMs : watermark.getTime() - deps.lookbackMs,
      zephr.instantPrecision,
    );
    const windows = planStateEventWindows(fromMs, toMs, stateEvents.windowMs);
    loadId = await insertStateEventLoad(pool, request.runId, new Date(fromMs), new Date(toMs));
    const currentLoadId = loadId;
    logger.info(
      { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), windows: windows.length },
      "state events export started",
    );
    let bytes = 0;
    for (const [index, window] of windows.entries()) {
      let received = 0;
      let inserted = 0;
      const loadBatch = async (rows: readonly StateEventRecord[]): Promise<void> => {
        // One row per hash: identical rows in one CSV are one event as far as we can tell.
        const unique = new Map(rows.map((row) => [row.row_hash, row]));
        if (unique.size === 0) return;
        inserted += await insertStateEvents(pool, JSON.stringify([...unique.values()]), request.runId);
      };
      await retryTransient(
        zephr,
        { sleep: deps.sleep, signal: deps.signal },
        () =>
          streamStateEvents(
            zephr,
            { http: { agent, now: deps.now }, signal: deps.signal },
            window,
            stateEvents.batchRows,
            async (rows, chunkBytes) => {
              received += rows.length;
              bytes += chunkBytes;
              await loadBatch(rows.map((row) => normalizeStateEvent(row, zephr.grantTimezone)));
              report({
                type: "state-events-downloading",
                window: index + 1,
                windows: windows.length,
                rows: counts.rowsReceived + received,
                bytes,
              });
            },
          ),
        (error, attempt, delayMs) => {
          logger.warn(
            { window: index + 1, attempt, delayMs, code: error.code, err: error.message },
            "state events window failed; retrying",
          );
        },
      );
      await withTransaction(pool, async (client) => {
        await addStateEventLoadWindow(client, currentLoadId, received, inserted);
        await saveWatermark(client, stateEventsStream, new Date(window.toMs), request.runId);
      });
      counts = {
        windows: counts.windows + 1,
        rowsReceived: counts.rowsReceived + received,
        rowsInserted: counts.rowsInserted + inserted,
      };
      logger.info(
        { window: index + 1, from: new Date(window.fromMs).toISOString(), received, inserted },
        "state events window loaded",
      );
    }
    await markStateEventLoadEnded(pool, currentLoadId, { status: "succeeded" });
    logger.info(counts, "state events export complete");
    report({
      type: "state-events-complete",
      rowsReceived: counts.rowsReceived,
      rowsInserted: counts.rowsInserted,
    });
    return { status: "succeeded", fromAt: new Date(fromMs), toAt: new Date(toMs), ...counts };
  } catch (caught) {
    const error = asSyncError(caught, deps.signal, logger);
    const message = `State events export failed: ${error.message}`;
    if (loadId !== undefined) {
      await markStateEventLoadEnded(pool, loadId, {
        status: "failed",
        errorCode: error.code,
        errorMessage: message,
      }).catch((markError: unknown) => {
        logger.error({ err: describeError(markError) }, "could not record the state events failure");
      });
    }
    logger.error({ code: error.code, err: error.message, ...counts }, "state events export failed");
    report({ type: "state-events-failed", error });
    return { status: "failed", error, message, ...counts };
  } finally {
    ownAgent?.destroy();
  }
}
