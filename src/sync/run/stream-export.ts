import type { SyncConfig, ZephrConfig } from "../../config.js";
import { SyncError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { ExportEvent, ExportPagesEnd } from "../../zephr/export/export-pages.js";
import { checkExportComplete } from "./check-export-complete.js";
import { chooseExportStart } from "./choose-export-start.js";
import type { BatchLoader } from "../load/batch-loader.js";
import type { ListedUsers } from "../load/listed-users.js";
import { ReceivedUsers } from "./received-users.js";
import type { SyncProgressListener } from "./sync-progress.js";

/** The settings streaming reads: what a run from the API and a load of files share. */
export type StreamSettings = Pick<SyncConfig, "batchSize" | "countTolerance"> & {
  readonly zephr: Pick<ZephrConfig, "watermarkClock" | "maxClockSkewMs" | "grantTimezone">;
};

export interface StreamExportContext {
  readonly config: StreamSettings;
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

/** What the caller records as the export goes (the run row), and what its load plan knows. */
export interface StreamExportEvents {
  /**
   * The users a complete export lists, as the load records them (LoadPlan.listed): the distinct users
   * received are counted from it rather than from a second set of ids.
   */
  readonly listed: ListedUsers | undefined;
  /** The first page's headers arrived: the instant the export started (see chooseExportStart). */
  readonly onExportStarted: (exportStartedAt: Date) => Promise<void>;
  /** A page stated the export's total (meta.count), the first time one did. */
  readonly onStatedCount: (statedCount: number) => Promise<void>;
}

/**
 * Streams one export into a batch loader, event by event (pages → elements → batches), reporting
 * progress, and fails it when it cannot be called complete (checkExportComplete: after the loader has
 * loaded what arrived). Resolves with the instant the export started (see chooseExportStart; for a
 * file, the instant its `started` event states), null when a file's source does not say.
 */
export async function streamExport<Loaded>(
  context: StreamExportContext,
  source: AsyncIterable<ExportEvent>,
  loader: BatchLoader<Loaded>,
  events: StreamExportEvents,
): Promise<Date | null> {
  const { config, logger, report, signal } = context;
  const startedAtMs = context.now();
  const download = { bytes: 0, pages: 0, users: 0, expectedUsers: undefined as number | undefined };
  const received = new ReceivedUsers(events.listed);
  let totalBytes: number | undefined;
  let exportStartedAt: Date | null | undefined;
  let end: ExportPagesEnd | undefined;
  const stopIfAsked = () => {
    if (signal?.aborted === true) throw cancelledError();
    context.checkStillOwned();
  };
  try {
    for await (const event of source) {
      switch (event.type) {
        case "started":
          if (event.totalBytes !== undefined) totalBytes = event.totalBytes;
          exportStartedAt =
            event.exportedAtMs === undefined
              ? chooseExportStart(
                  { clock: config.zephr.watermarkClock, maxClockSkewMs: config.zephr.maxClockSkewMs },
                  event.serverDateMs,
                  event.requestedAtMs,
                  logger,
                )
              : event.exportedAtMs === null
                ? null
                : new Date(event.exportedAtMs);
          if (exportStartedAt !== null) await events.onExportStarted(exportStartedAt);
          break;
        case "elements":
          stopIfAsked();
          download.bytes += event.bytes;
          download.users += event.elements.length;
          received.add(event.elements);
          report({ type: "downloading", ...download, totalBytes, elapsedMs: context.now() - startedAtMs });
          await loader.addElements(event.elements, event.page, config.zephr.grantTimezone);
          break;
        case "page": {
          const { result } = event;
          download.pages += 1;
          if (download.expectedUsers === undefined && result.summary.totalCount !== undefined) {
            download.expectedUsers = result.summary.totalCount;
            await events.onStatedCount(result.summary.totalCount);
          }
          logger.info({ page: result.page, users: result.elements, bytes: result.bytes }, "page received");
          received.pageRead(result.summary);
          await loader.addPage(result.bytes);
          break;
        }
        case "retry":
          logger.warn(
            {
              page: event.page,
              attempt: event.attempt,
              delayMs: event.delayMs,
              code: event.error.code,
              err: event.error.message,
            },
            "page failed; retrying",
          );
          report({ type: "retrying", page: event.page, delayMs: event.delayMs, reason: event.error.message });
          break;
        case "end":
          end = event;
          break;
      }
    }
    if (end === undefined || exportStartedAt === undefined)
      throw new Error("the export ended without its end");
    logger.info(
      {
        reason: end.reason,
        pages: end.pages,
        statedCount: end.statedCount ?? null,
        received: received.count,
      },
      "export read",
    );
    await loader.finish();
    const incomplete = checkExportComplete(end, received.count, config.countTolerance);
    if (incomplete !== undefined) throw incomplete;
    // A signal that came while the last batches were written: they are committed, but the run stops
    // before its checkpoint, as documented (cancelled, watermark unchanged, exit 1).
    stopIfAsked();
  } catch (error) {
    await loader.settle();
    if (signal?.aborted === true) throw cancelledError();
    throw error;
  }
  context.checkStillOwned();
  return exportStartedAt;
}
