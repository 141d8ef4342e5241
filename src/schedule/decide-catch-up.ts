import type { RunKind } from "../db/sync-runs.js";
import type { CronSchedule } from "./create-cron-schedule.js";
import type { ScheduledRequest } from "./job-definition.js";
import { findPreviousFireAt } from "./find-previous-fire-at.js";

/** Whether a job runs at start instead of waiting for its next tick, and why. */
export type CatchUpDecision =
  | { readonly due: true; readonly reason: "never-succeeded" }
  | {
      readonly due: true;
      readonly reason: "missed";
      readonly previousFireAt: Date;
      readonly lastSuccessAt: Date;
    }
  | { readonly due: false; readonly reason: "up-to-date"; readonly lastSuccessAt: Date };

/**
 * The run kinds whose success stands for a job's run: a full run also brings an incremental job up to
 * date (it loads everything), but only a full run reconciles deletions for the full job.
 */
export function successKindsFor(request: ScheduledRequest): readonly RunKind[] {
  return request.kind === "full" ? ["full"] : ["incremental", "full"];
}

/**
 * Catch-up rule: a job is due at start when it never succeeded, or when its cron fired after its last
 * success ended (the process was down, or the run at that time failed). `lastSuccessAt` is the end of
 * that run (finished_at), which a run started by a tick always ends after, whatever the skew between
 * this machine's clock and the database's. A cron that did not fire in the last year (maxLookbackMs) is
 * treated as up to date.
 */
export function decideCatchUp(
  cron: CronSchedule,
  lastSuccessAt: Date | undefined,
  nowMs: number,
): CatchUpDecision {
  if (lastSuccessAt === undefined) return { due: true, reason: "never-succeeded" };
  const previousFireAt = findPreviousFireAt(cron, nowMs, lastSuccessAt.getTime());
  if (previousFireAt !== undefined) return { due: true, reason: "missed", previousFireAt, lastSuccessAt };
  return { due: false, reason: "up-to-date", lastSuccessAt };
}
