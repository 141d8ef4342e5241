import type { RunWindow } from "../../db/sync-runs.js";
import type { ExportWindow } from "../../zephr/export/export-query.js";

/**
 * The parameters one run window sends to Zephr. Whether registeredSince is inclusive is not documented,
 * so a window asks from one unit of precision before its start: a user registered exactly on a window
 * boundary then lands in a window either way (being loaded twice is harmless).
 */
export function toExportWindow(window: RunWindow, precision: "seconds" | "milliseconds"): ExportWindow {
  const overlapMs = precision === "seconds" ? 1000 : 1;
  return {
    sinceMs: window.sinceAt?.getTime(),
    registeredSinceMs:
      window.registeredSinceAt === null ? undefined : window.registeredSinceAt.getTime() - overlapMs,
    registeredBeforeMs: window.registeredBeforeAt?.getTime(),
  };
}
