import type { ScheduleConfig } from "../src/config.js";
import type { JobDefinition } from "../src/schedule/job-definition.js";
import { fullReconciliationJob } from "./full-reconciliation.js";
import { nightlySyncJob } from "./nightly-sync.js";

/** Every job the scheduler runs for this configuration. */
export function listJobs(config: ScheduleConfig): readonly JobDefinition[] {
  const full = fullReconciliationJob(config);
  return Object.freeze(full === undefined ? [nightlySyncJob(config)] : [nightlySyncJob(config), full]);
}
