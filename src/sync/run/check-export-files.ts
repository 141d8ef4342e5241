import type { SyncConfig } from "../../config.js";
import { SyncError } from "../../errors.js";
import type { ExportPagesEnd } from "../../zephr/export/export-pages.js";
import {
  readExportFiles,
  type ExportFile,
  type ExportFilesOptions,
} from "../../zephr/export/read-export-files.js";
import { checkExportComplete } from "./check-export-complete.js";
import { ReceivedUsers } from "./received-users.js";
import { cancelledError } from "./stream-export.js";

/**
 * Reads every file once through to its end, loading nothing, so that a file that is not a whole export
 * (empty, cut short, not JSON, an HTML page, not UTF-8: EXPORT_FILE_INVALID) loads nothing and marks
 * nothing: `load` calls it before the run lock and before any run row. When the files are said to be
 * complete, they must also pass the completeness rules of an export from the API (checkExportComplete:
 * the largest meta.count a file stated, against the distinct users in all of them). Memory: 16 bytes
 * per distinct user.
 */
export async function checkExportFiles(
  config: Pick<SyncConfig, "countTolerance">,
  files: readonly ExportFile[],
  options: ExportFilesOptions,
  signal: AbortSignal | undefined,
): Promise<ExportPagesEnd> {
  const received = new ReceivedUsers(undefined);
  let end: ExportPagesEnd | undefined;
  for await (const event of readExportFiles(files, options)) {
    if (signal?.aborted === true) throw cancelledError();
    if (event.type === "elements") received.add(event.elements);
    if (event.type === "page") received.pageRead(event.result.summary);
    if (event.type === "end") end = event;
  }
  if (end === undefined) throw new Error("the files were read without their end");
  if (options.complete && checkExportComplete(end, received.count, config.countTolerance) !== undefined) {
    const why =
      end.doubt ??
      `a file states meta.count=${end.statedCount ?? 0} users but the files hold ${received.count} (SYNC_COUNT_TOLERANCE=${config.countTolerance})`;
    throw new SyncError(
      "EXPORT_INCOMPLETE",
      `The files are not a complete export: ${why}. Nothing was loaded and nobody was marked deleted. ` +
        "Load them without --full and --exported-at to add their users without claiming completeness.",
    );
  }
  return end;
}
