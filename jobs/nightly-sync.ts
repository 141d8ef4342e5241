import type { ScheduleConfig } from "../src/config.js";
import type { JobDefinition } from "../src/schedule/job-definition.js";

/** The nightly incremental sync: users changed since the watermark (minus the lookback), at SYNC_SCHEDULE. */
export function nightlySyncJob(config: ScheduleConfig): JobDefinition {
  return Object.freeze({
    name: "nightly-sync",
    schedule: config.syncSchedule,
    timezone: config.timezone,
    request: Object.freeze({ kind: "incremental" }),
  });
}
