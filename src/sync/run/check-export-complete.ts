import { SyncError } from "../../errors.js";
import type { ExportPagesEnd } from "../../zephr/export/export-pages.js";

/**
 * Fails an export that cannot be called complete: the server said there was more than it served
 * (`end.doubt`), or it stated a total (`meta.count`) that the users received fall short of by more than
 * SYNC_COUNT_TOLERANCE of it. More users than stated is fine (users register while an export is read).
 * `received` counts each user id once, plus every element without one.
 */
export function checkExportComplete(
  end: ExportPagesEnd,
  received: number,
  countTolerance: number,
): SyncError | undefined {
  const where = `${end.pages} page${end.pages === 1 ? "" : "s"}, paging ended on "${end.reason}"`;
  const consequence =
    "The users that arrived are loaded; nobody was marked deleted and the watermark is unchanged, so the next run asks again.";
  if (end.doubt !== undefined) {
    return new SyncError(
      "EXPORT_INCOMPLETE",
      `Zephr's export is incomplete (${where}): ${end.doubt}. ${received} users arrived. ${consequence} ` +
        "Check that ZEPHR_BASE_URL is the tenant's API host; if it is, Zephr's paging is broken: report it with this message.",
    );
  }
  if (end.statedCount === undefined) return undefined;
  const allowedShortfall = Math.floor(end.statedCount * countTolerance);
  if (received >= end.statedCount - allowedShortfall) return undefined;
  return new SyncError(
    "EXPORT_INCOMPLETE",
    `Zephr's export stated meta.count=${end.statedCount} users but ${received} arrived (${where}; ` +
      `SYNC_COUNT_TOLERANCE=${countTolerance} allows ${allowedShortfall} fewer). ${consequence} ` +
      "Check that ZEPHR_PAGE_SIZE is not above what the server serves and that ZEPHR_BASE_URL is the tenant's API host; " +
      "if many users were deleted while the export ran, run again, or raise SYNC_COUNT_TOLERANCE.",
  );
}
