import type { Pool } from "../../db/pool.js";
import type { RunLock } from "../../db/run-lock.js";
import { markAbandonedRuns } from "../../db/sync-runs.js";
import { SyncError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { checkTenant } from "./check-tenant.js";

/**
 * A check that throws LOCK_LOST once `lock` was lost (its connection dropped): another run could then
 * start, so this one must stop. `remedy` says what to do next. Called before each chunk is handed on.
 */
export function watchRunLock(lock: RunLock, remedy: string): () => void {
  let lost: Error | undefined;
  void lock.lost.then((error) => {
    lost = error;
  });
  return () => {
    if (lost === undefined) return;
    throw new SyncError(
      "LOCK_LOST",
      `Lost the run lock (${lost.message}): another run could start, so this one stops. ${remedy}`,
      { cause: lost },
    );
  };
}

/**
 * Under the lock, before anything is written, run rows included: the tenant `baseUrl` names (when it
 * names one) must be the one this warehouse mirrors, since another tenant's runs must not touch it; then
 * runs a dead process left `running` are marked abandoned (only this run can be alive now).
 */
export async function startLockedRun(pool: Pool, baseUrl: string | undefined, logger: Logger): Promise<void> {
  if (baseUrl !== undefined) await checkTenant(pool, baseUrl, logger, { record: true });
  const abandoned = await markAbandonedRuns(pool);
  if (abandoned > 0) logger.warn({ abandoned }, "marked runs left running by a dead process as abandoned");
}
