import type { Agent } from "node:http";
import type { SyncConfig } from "../../config.js";
import { SyncError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { exportPages } from "../../zephr/export/export-pages.js";
import type { ExportWindow } from "../../zephr/export/export-query.js";
import { checkExportComplete } from "./check-export-complete.js";
import { chooseExportStart } from "./choose-export-start.js";
import type { ExportSink } from "../load/export-sink.js";
import { ReceivedUsers } from "./received-users.js";
import type { SyncProgressListener } from "./sync-progress.js";

export interface StreamExportContext {
  readonly config: SyncConfig;
  readonly agent: Agent;
  readonly logger: Logger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal: AbortSignal | undefined;
  readonly report: SyncProgressListener;
  /** Throws when the run must stop (lock lost); checked before each chunk is handed on. */
  readonly checkStillOwned: () => void;
}

/** Thrown once a signal asked the run to stop; the run is then recorded as cancelled. */
export function cancelledError(): SyncError {
  return new SyncError(
    "CANCELLED",
    "Stopped by a signal before the export finished; the watermark is unchanged and the next run continues.",
  );
}

/** What the caller records as the export goes (the run row). */
export interface StreamExportEvents {
  /** The first page's headers arrived: the instant the export started (see chooseExportStart). */
  readonly onExportStarted: (exportStartedAt: Date) => Promise<void>;
  /** A page stated the export's total (meta.count), the first time one did. */
  readonly onStatedCount: (statedCount: number) => Promise<void>;
}

/**
 * Streams one export window into a sink, page by page, reporting progress, and fails it when it cannot
 * be called complete (checkExportComplete: after the sink has loaded what arrived). Resolves with the
 * instant the export started (see chooseExportStart).
 */
export async function streamExport(
  context: StreamExportContext,
  window: ExportWindow,
  sink: ExportSink,
  events: StreamExportEvents,
): Promise<Date> {
  const { config, logger, report, signal } = context;
  const startedAtMs = context.now();
  const download = { bytes: 0, pages: 0, users: 0, expectedUsers: undefined as number | undefined };
  let exportStartedAt: Date | undefined;
  const received = new ReceivedUsers();
  const stopIfAsked = () => {
    if (signal?.aborted === true) throw cancelledError();
    context.checkStillOwned();
  };
  try {
    const end = await exportPages(
      config.zephr,
      window,
      {
        http: { agent: context.agent, now: context.now },
        sleep: context.sleep,
        ...(signal ? { signal } : {}),
      },
      {
        onExportStarted: async (serverDateMs, requestedAtMs) => {
          exportStartedAt = chooseExportStart(
            { clock: config.zephr.watermarkClock, maxClockSkewMs: config.zephr.maxClockSkewMs },
            serverDateMs,
            requestedAtMs,
            logger,
          );
          await events.onExportStarted(exportStartedAt);
        },
        onChunk: async (elements, page, bytes) => {
          stopIfAsked();
          download.bytes += bytes;
          download.users += elements.length;
          received.add(elements);
          report({ type: "downloading", ...download, elapsedMs: context.now() - startedAtMs });
          await sink.accept(elements, page);
        },
        onPage: async (result) => {
          download.pages += 1;
          if (download.expectedUsers === undefined && result.summary.totalCount !== undefined) {
            download.expectedUsers = result.summary.totalCount;
            await events.onStatedCount(result.summary.totalCount);
          }
          logger.info({ page: result.page, users: result.elements, bytes: result.bytes }, "page received");
          await sink.pageDone(result);
        },
        onRetry: (page, error, attempt, delayMs) => {
          logger.warn(
            { page, attempt, delayMs, code: error.code, err: error.message },
            "page failed; retrying",
          );
          report({ type: "retrying", page, delayMs, reason: error.message });
        },
      },
    );
    logger.info(
      {
        reason: end.reason,
        pages: end.pages,
        statedCount: end.statedCount ?? null,
        received: received.count,
      },
      "export read",
    );
    await sink.finish();
    const incomplete = checkExportComplete(end, received.count, config.countTolerance);
    if (incomplete !== undefined) throw incomplete;
    // A signal that came while the last batches were written: they are committed, but the run stops
    // before its checkpoint, as documented (cancelled, watermark unchanged, exit 1).
    stopIfAsked();
  } catch (error) {
    await sink.settle();
    if (signal?.aborted === true) throw cancelledError();
    throw error;
  }
  context.checkStillOwned();
  if (exportStartedAt === undefined) throw new Error("the export finished without a first response");
  return exportStartedAt;
}
