import { countLiveUsers, holdsNoUser } from "../../db/live-users.js";
import type { Pool } from "../../db/pool.js";
import type { Logger } from "../../logger.js";
import { prepareAnalystIndexes, type DeferredIndexes } from "./first-load-indexes.js";
import { ListedUsers } from "./listed-users.js";

/**
 * first-load: zephr.users held no row when the run started. The warehouse holds only what this run
 * writes, so batches are not compared with it (no lookup) and new users' rows go in by plain COPY; a
 * user listed twice makes its batch's COPY meet its own row, and that batch is upserted instead.
 * update: every batch is compared with the warehouse by content hash.
 */
export type LoadMode = "first-load" | "update";

/** How one run loads its batches, decided once before the first page is asked for. */
export interface LoadPlan {
  readonly mode: LoadMode;
  /** Complete exports into a warehouse with live users: whom the export listed, to mark the rest deleted. */
  readonly listed: ListedUsers | undefined;
  /**
   * Until a run has succeeded (the first load, however many attempts it takes), a run by the owner of
   * the tables drops the analyst indexes and builds them once the rows are in: see first-load-indexes.
   */
  readonly indexes: DeferredIndexes | undefined;
}

/**
 * Plans a run's load. `complete`: the export lists every user (a full export), so whom it did not list
 * can be marked deleted; when the warehouse holds no live user, nobody can be unlisted and nobody is
 * remembered. `writes`: false for a dry run, which drops no index.
 */
export async function planLoad(
  pool: Pool,
  logger: Logger,
  options: { readonly complete: boolean; readonly writes: boolean },
): Promise<LoadPlan> {
  const liveAtStart = options.complete ? await countLiveUsers(pool) : 0;
  const listed = liveAtStart === 0 ? undefined : ListedUsers.forExpected(liveAtStart);
  const mode: LoadMode = liveAtStart === 0 && (await holdsNoUser(pool)) ? "first-load" : "update";
  const indexes = options.writes ? await prepareAnalystIndexes(pool, logger) : undefined;
  if (mode === "first-load") logger.info("first load: the warehouse holds no user, batches are not compared");
  return { mode, listed, indexes };
}
