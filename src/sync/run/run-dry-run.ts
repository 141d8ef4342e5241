import { createZephrAgent } from "../../zephr/http/open-export-page.js";
import { findWatermark, usersStream } from "../../db/sync-watermarks.js";
import { SyncError } from "../../errors.js";
import { DryRunSink } from "../load/dry-run-sink.js";
import { readCaFile } from "./read-ca-file.js";
import { remainingWindows } from "./run-registered-backfill.js";
import type { SyncDeps } from "./run-sync.js";
import { streamExport } from "./stream-export.js";
import { toExportWindow } from "./to-export-window.js";
import type { DryRunReport, SyncRequest } from "./sync-request.js";
import type { ExportWindow } from "../../zephr/export/export-query.js";

function windowsOf(
  request: SyncRequest,
  watermark: Date | null,
  lookbackMs: number,
  precision: "seconds" | "milliseconds",
): ExportWindow[] {
  switch (request.kind) {
    case "full":
      return [{}];
    case "since":
      return [{ sinceMs: request.since.getTime() }];
    case "incremental":
      return [watermark === null ? {} : { sinceMs: watermark.getTime() - lookbackMs }];
    case "registered":
      return remainingWindows({
        backfillId: "dry-run",
        registeredSinceAt: request.registeredSince,
        registeredBeforeAt: request.registeredBefore,
        chunkMs: request.chunkMs,
        nextWindowAt: request.registeredSince,
        status: "running",
      }).map((w) =>
        toExportWindow(
          { sinceAt: null, registeredSinceAt: w.since, registeredBeforeAt: w.before },
          precision,
        ),
      );
    case "resume":
      throw new SyncError("USAGE", "--dry-run cannot be combined with --resume.");
  }
}

/**
 * Fetches, parses and validates the export a request would load and compares it with the warehouse,
 * writing nothing (no run row, no lock: it only reads).
 */
export async function runDryRun(deps: SyncDeps, request: SyncRequest): Promise<DryRunReport> {
  const { config, pool, logger } = deps;
  const agent = createZephrAgent(config.zephr.baseUrl, readCaFile(config.zephr.caFile));
  try {
    const watermark = await findWatermark(pool, usersStream);
    const sink = new DryRunSink(pool, config.batchSize, config.zephr.grantTimezone, request.kind === "full");
    for (const window of windowsOf(request, watermark, config.lookbackMs, config.zephr.instantPrecision)) {
      await streamExport(
        {
          config,
          agent,
          logger: logger.child({ dryRun: true }),
          now: deps.now,
          sleep: deps.sleep,
          signal: deps.signal,
          report: deps.onProgress ?? (() => undefined),
          checkStillOwned: () => undefined,
        },
        window,
        sink,
        { onExportStarted: () => Promise.resolve(), onStatedCount: () => Promise.resolve() },
      );
    }
    return await sink.report();
  } finally {
    agent.destroy();
  }
}
