import type { RunCounts } from "../db/sync-runs.js";
import type { SyncOutcome } from "../sync/run/run-sync.js";

export type OutcomeClass = SyncOutcome["status"];

/**
 * How a run ended, counting a run stopped by its AbortSignal as cancelled whichever way runSync reports
 * it: status "cancelled", or (as versions before that status did) "failed" with code CANCELLED.
 */
export function classifyOutcome(outcome: SyncOutcome): OutcomeClass {
  if (outcome.status === "failed" && outcome.error.code === "CANCELLED") return "cancelled";
  return outcome.status;
}

/** The counters of a run that started; undefined for a tick that found the lock taken, or a dry run. */
export function findOutcomeCounts(outcome: SyncOutcome): RunCounts | undefined {
  return "counts" in outcome ? outcome.counts : undefined;
}

/** The run id of an outcome, when a run row was written. */
export function findOutcomeRunId(outcome: SyncOutcome): string | undefined {
  return "runId" in outcome ? outcome.runId : undefined;
}
