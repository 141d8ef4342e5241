import type { FileLoadConfig } from "../../config.js";
import type { Pool } from "../../db/pool.js";
import { tryAcquireRunLock, type RunLock } from "../../db/run-lock.js";
import { zeroCounts } from "../../db/sync-runs.js";
import type { Logger } from "../../logger.js";
import { readExportFiles, type ExportFilesOptions } from "../../zephr/export/read-export-files.js";
import { toSyncError } from "../to-sync-error.js";
import { checkExportFiles } from "./check-export-files.js";
import { checkTenant } from "./check-tenant.js";
import { planFileWindow } from "./plan-windows.js";
import { tallyWindow } from "./run-dry-run.js";
import { toOutcome, type SyncOutcome } from "./run-sync.js";
import { startLockedRun, watchRunLock } from "./locked-run.js";
import { runWindow, type RunWindowContext } from "./run-window.js";
import type { SyncProgressListener } from "./sync-progress.js";
import type { FileLoadRequest } from "./sync-request.js";

/** What a load of export files is given: SyncDeps without the API (no key pair, maybe no tenant). */
export interface FileLoadDeps {
  readonly config: FileLoadConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: SyncProgressListener;
}

/**
 * `zephr-sync load`: export files into the warehouse in one run of kind `file`, through the same
 * streaming, batches and checkpoint as a run from the API (runWindow). Every file is first read through
 * to its end (checkExportFiles), before the lock and any run row: a file that is not a whole export, or
 * files said to be complete that are not, load nothing. Then: lock → the tenant, when ZEPHR_BASE_URL
 * names one → abandoned runs → the run. No catalogue refresh and no state events follow (they need the
 * API). A dry run reads and compares, writing nothing. Never throws: failures come back as outcomes.
 */
export async function runFileLoad(deps: FileLoadDeps, request: FileLoadRequest): Promise<SyncOutcome> {
  const { config, logger } = deps;
  const failed = (error: unknown, doing: string): SyncOutcome => ({
    status: "failed",
    runId: undefined,
    error: toSyncError(error, doing, logger),
    counts: zeroCounts,
  });
  const options: ExportFilesOptions = {
    exportedAtMs: request.exportedAt?.getTime() ?? null,
    complete: request.full || request.exportedAt !== undefined,
    now: deps.now,
  };
  const spec = planFileWindow({
    ...request,
    files: request.files.map(({ name, bytes }) => ({ name, bytes })),
  });
  const baseUrl = config.zephr.baseUrl;
  try {
    const end = await checkExportFiles(config, request.files, options, deps.signal);
    logger.info({ files: spec.files, elements: end.elements }, "export files checked");
    if (baseUrl === undefined) {
      logger.warn("ZEPHR_BASE_URL is not set: the tenant the files come from cannot be checked");
    }
  } catch (error) {
    return failed(error, "checking the export files");
  }
  if (request.dryRun) {
    try {
      if (baseUrl !== undefined) await checkTenant(deps.pool, baseUrl, logger, { record: false });
      return {
        status: "dry-run",
        report: await tallyWindow(deps, spec, readExportFiles(request.files, options)),
      };
    } catch (error) {
      return failed(error, "running the dry run");
    }
  }
  let lock: RunLock | undefined;
  try {
    lock = await tryAcquireRunLock(config.databaseUrl, {
      schema: config.schema,
      connectTimeoutMs: config.connectTimeoutMs,
    });
  } catch (error) {
    return failed(error, "taking the run lock");
  }
  if (lock === undefined) return { status: "locked" };
  // Nothing between taking the lock and this try: whatever throws, the lock is released.
  try {
    const context: RunWindowContext = {
      config,
      pool: deps.pool,
      logger,
      now: deps.now,
      sleep: deps.sleep,
      signal: deps.signal,
      report: deps.onProgress ?? (() => undefined),
      checkStillOwned: watchRunLock(lock, "Load the files again."),
    };
    await startLockedRun(deps.pool, baseUrl, logger);
    const outcome = await runWindow(context, spec, readExportFiles(request.files, options));
    return toOutcome(outcome, "file", null);
  } catch (error) {
    return failed(error, "preparing the load");
  } finally {
    await lock.release();
  }
}
