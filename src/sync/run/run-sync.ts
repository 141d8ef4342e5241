import { SyncError } from "../../errors.js";
import { tryAcquireRunLock, type RunLock } from "../../db/run-lock.js";
import { zeroCounts, type RunCounts, type RunKind } from "../../db/sync-runs.js";
import { findWatermark, usersStream } from "../../db/sync-watermarks.js";
import { createZephrAgent } from "../../zephr/http/open-export-page.js";
import { runDryRun } from "./run-dry-run.js";
import { runRegisteredBackfill } from "./run-registered-backfill.js";
import { planWindow } from "./plan-windows.js";
import { runWindow, type RunWindowContext, type WindowOutcome } from "./run-window.js";
import { readWindowPages, type ZephrPagesContext } from "./read-window-pages.js";
import { readCaFile } from "../read-ca-file.js";
import { toSyncError } from "../to-sync-error.js";
import { checkTenant } from "./check-tenant.js";
import { startLockedRun, watchRunLock } from "./locked-run.js";
import type { DryRunReport, SyncRequest } from "./sync-request.js";
import type { SyncDeps } from "./sync-deps.js";
import { refreshCatalogue, type CatalogueRefreshSummary } from "../catalogue/refresh-catalogue.js";
import { syncStateEvents, type StateEventsOutcome } from "../state-events/sync-state-events.js";

export type { SyncRequest } from "./sync-request.js";

export type { SyncDeps } from "./sync-deps.js";

/** A run from Zephr's API: run windows whose pages come from it. */
export type ApiRunContext = RunWindowContext & ZephrPagesContext;

export type SyncOutcome =
  | { readonly status: "locked" }
  | {
      readonly status: "succeeded";
      readonly runId: string;
      readonly kind: RunKind;
      readonly sinceAt: Date | null;
      /** The watermark after the run, when this run set it (backfills leave it alone). */
      readonly watermarkAt: Date | null;
      readonly counts: RunCounts;
      readonly usersDeleted: number;
      readonly usersPurged: number;
      /** Registration backfills: how many windows this invocation loaded. */
      readonly windows: number;
      /** The names refresh that follows every successful run (never fails the run). */
      readonly catalogue?: CatalogueRefreshSummary;
      /** The opt-in state events phase after incremental and full runs (never fails the run). */
      readonly stateEvents?: StateEventsOutcome;
    }
  | {
      readonly status: "failed" | "cancelled";
      readonly runId: string | undefined;
      readonly error: SyncError;
      readonly counts: RunCounts;
    }
  | { readonly status: "dry-run"; readonly report: DryRunReport };

/** A window's outcome as the invocation's (the `windows` and `counts` of a registration backfill's walk). */
export function toOutcome(
  outcome: WindowOutcome,
  kind: RunKind,
  sinceAt: Date | null,
  windows = 1,
  counts: RunCounts = outcome.counts,
): SyncOutcome {
  if (outcome.status !== "succeeded") return { ...outcome, counts };
  const { runId, watermarkAt, usersDeleted, usersPurged } = outcome;
  return {
    status: "succeeded",
    runId,
    kind,
    sinceAt,
    watermarkAt,
    counts,
    usersDeleted,
    usersPurged,
    windows,
  };
}

/**
 * One invocation of the job: a dry run (no lock, nothing written), or lock → check the tenant (see
 * checkTenant) → mark abandoned runs → the requested export(s) → release. Never throws: failures come
 * back as outcomes.
 */
export async function runSync(deps: SyncDeps, request: SyncRequest): Promise<SyncOutcome> {
  const failed = (error: unknown, doing: string): SyncOutcome => ({
    status: "failed",
    runId: undefined,
    error: toSyncError(error, doing, deps.logger),
    counts: zeroCounts,
  });
  if ("dryRun" in request && request.dryRun) {
    try {
      await checkTenant(deps.pool, deps.config.zephr.baseUrl, deps.logger, { record: false });
      return { status: "dry-run", report: await runDryRun(deps, request) };
    } catch (error) {
      return failed(error, "running the dry run");
    }
  }
  let ca: string[] | undefined;
  let lock: RunLock | undefined;
  try {
    // Before the lock: whatever fails here leaves nothing to release.
    ca = readCaFile(deps.config.zephr.caFile);
    lock = await tryAcquireRunLock(deps.config.databaseUrl, {
      schema: deps.config.schema,
      connectTimeoutMs: deps.config.connectTimeoutMs,
    });
  } catch (error) {
    return failed(error, "taking the run lock");
  }
  if (lock === undefined) return { status: "locked" };
  // Nothing between taking the lock and this try: whatever throws, the lock is released.
  let agent: ReturnType<typeof createZephrAgent> | undefined;
  try {
    agent = createZephrAgent(deps.config.zephr.baseUrl, ca);
    return await runLocked(deps, request, lock, agent);
  } catch (error) {
    return failed(error, "preparing the run");
  } finally {
    agent?.destroy();
    await lock.release();
  }
}

async function runLocked(
  deps: SyncDeps,
  request: SyncRequest,
  lock: RunLock,
  agent: ReturnType<typeof createZephrAgent>,
): Promise<SyncOutcome> {
  const { config, pool, logger } = deps;
  const context: ApiRunContext = {
    config,
    pool,
    agent,
    logger,
    now: deps.now,
    sleep: deps.sleep,
    signal: deps.signal,
    report: deps.onProgress ?? (() => undefined),
    checkStillOwned: watchRunLock(lock, "The next run repairs it."),
  };
  await startLockedRun(pool, config.zephr.baseUrl, logger);
  const outcome = await runRequest(context, request);
  if (outcome.status !== "succeeded") return outcome;
  return { ...outcome, ...(await runAfterPhases(deps, context, outcome)) };
}

/**
 * What follows a successful user phase, each part unable to fail the run: the catalogue and user-schema
 * refresh (names for analysts), then, for incremental and full runs, the opt-in state events export.
 */
async function runAfterPhases(
  deps: SyncDeps,
  context: ApiRunContext,
  outcome: Extract<SyncOutcome, { status: "succeeded" }>,
): Promise<{ catalogue: CatalogueRefreshSummary; stateEvents?: StateEventsOutcome }> {
  const { config, pool } = deps;
  const logger = context.logger.child({ runId: outcome.runId });
  const common = {
    zephr: config.zephr,
    pool,
    logger,
    now: deps.now,
    sleep: deps.sleep,
    signal: deps.signal,
    agent: context.agent,
  };
  const catalogue = await refreshCatalogue(common);
  if (outcome.kind === "backfill") return { catalogue };
  const stateEvents = await syncStateEvents(
    {
      ...common,
      stateEvents: config.stateEvents,
      lookbackMs: config.lookbackMs,
      onProgress: deps.onProgress,
    },
    { runId: outcome.runId },
  );
  return { catalogue, stateEvents };
}

async function runRequest(context: ApiRunContext, request: SyncRequest): Promise<SyncOutcome> {
  const { config, pool } = context;
  switch (request.kind) {
    case "incremental":
    case "full":
    case "since": {
      const watermark = request.kind === "incremental" ? await findWatermark(pool, usersStream) : null;
      const spec = planWindow(request, watermark, config.lookbackMs);
      return toOutcome(
        await runWindow(context, spec, readWindowPages(context, spec)),
        spec.kind,
        spec.window.sinceAt,
      );
    }
    case "registered":
    case "resume": {
      const result = await runRegisteredBackfill(context, request.kind === "resume" ? "resume" : request);
      const { last } = result;
      if (last.status === "succeeded")
        return toOutcome(last, "backfill", null, result.windows, result.counts);
      const hint = `Backfill ${result.backfill.backfillId} stopped; its loaded windows are kept: continue with 'zephr-sync backfill --resume'.`;
      const error = new SyncError(last.error.code, `${last.error.message} ${hint}`, { cause: last.error });
      return { ...last, error, counts: result.counts };
    }
  }
}
