import type { ScheduleConfig } from "../src/config.js";
import type { JobDefinition } from "../src/schedule/job-definition.js";

/**
 * The full reconciliation: a complete export at FULL_SYNC_SCHEDULE (users absent from it are marked
 * deleted). Off, and so undefined, when FULL_SYNC_SCHEDULE is not set.
 */
export function fullReconciliationJob(config: ScheduleConfig): JobDefinition | undefined {
  if (config.fullSyncSchedule === undefined) return undefined;
  return Object.freeze({
    name: "full-reconciliation",
    schedule: config.fullSyncSchedule,
    timezone: config.timezone,
    request: Object.freeze({ kind: "full" }),
  });
}
