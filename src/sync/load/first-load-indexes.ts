import {
  analystIndexes,
  createAnalystIndex,
  dropAnalystIndex,
  findAnalystIndexes,
  ownsWarehouseTables,
  type AnalystIndex,
} from "../../db/analyst-indexes.js";
import { withTransaction, type Pool } from "../../db/pool.js";
import { hasSucceededRun } from "../../db/sync-runs.js";
import type { Logger } from "../../logger.js";
import { isLockTimeout } from "../../db/database-errors.js";

/** How long a first load waits for analysts' queries to let go of a table before keeping its indexes. */
const dropLockTimeoutMs = 5_000;

/** Analyst indexes a first load dropped, to build once its rows are in. */
export interface DeferredIndexes {
  /** Builds them (and any other analyst index missing); runs once, whatever the number of calls. */
  readonly restore: () => Promise<void>;
}

/**
 * Before a run loads anything. On a first load (no run has succeeded yet) by the owner of the tables,
 * drops the analyst indexes, so that the rows go in without their upkeep, and returns what builds them
 * again: one sorted build per index costs less than millions of inserts at random places of indexes
 * larger than PostgreSQL's buffers (a million users: 140 s instead of 187 s). Any other run builds analyst indexes that are missing (a first load
 * that was killed) when it may, or says who can.
 */
export async function prepareAnalystIndexes(
  pool: Pool,
  logger: Logger,
): Promise<DeferredIndexes | undefined> {
  const present = await findAnalystIndexes(pool);
  const missing = analystIndexes.filter((index) => !present.has(index.name));
  if (!(await ownsWarehouseTables(pool))) {
    if (missing.length > 0) {
      logger.warn(
        { indexes: missing.map((index) => index.name) },
        "analyst indexes are missing (an interrupted first load?); a run as the owner of the tables builds them",
      );
    }
    return undefined;
  }
  if (await hasSucceededRun(pool)) {
    announceLeftMissing(missing, logger);
    await buildIndexes(pool, missing, logger);
    return undefined;
  }
  // An index whose definition differs from the migrations' was changed by someone on purpose: kept.
  const droppable = analystIndexes.filter((index) => present.get(index.name) === index.definition);
  try {
    await withTransaction(pool, async (client) => {
      for (const index of droppable) await dropAnalystIndex(client, index, dropLockTimeoutMs);
    });
  } catch (error) {
    if (!isLockTimeout(error)) throw error;
    logger.warn("the warehouse tables are in use: this first load keeps their indexes up to date as it goes");
    announceLeftMissing(missing, logger);
    await buildIndexes(pool, missing, logger);
    return undefined;
  }
  logger.info(
    { indexes: droppable.map((index) => index.name) },
    "first load: analyst indexes dropped, to be built once the rows are in",
  );
  let built: Promise<void> | undefined;
  const restore = () => {
    announceLeftMissing(missing, logger);
    return buildIndexes(pool, [...missing, ...droppable], logger);
  };
  return { restore: () => (built ??= restore()) };
}

/**
 * Says that indexes an earlier first load dropped and never built (killed, or stopped by a second
 * signal, while loading) are built now, so that their absence until then is explained.
 */
function announceLeftMissing(missing: readonly AnalystIndex[], logger: Logger): void {
  if (missing.length === 0) return;
  logger.info(
    { indexes: missing.map((index) => index.name) },
    `building ${missing.length} analyst indexes a previous first load left missing`,
  );
}

/** Builds indexes two at a time, on two connections (PostgreSQL builds each with one process). */
async function buildIndexes(pool: Pool, indexes: readonly AnalystIndex[], logger: Logger): Promise<void> {
  const queue = [...indexes];
  const worker = async () => {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      const startedAt = Date.now();
      await createAnalystIndex(pool, index);
      logger.info({ index: index.name, ms: Date.now() - startedAt }, "analyst index built");
    }
  };
  await Promise.all([worker(), worker()]);
}
