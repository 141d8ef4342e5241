import type { SyncConfig } from "../../config.js";
import type { Pool } from "../../db/pool.js";
import type { Logger } from "../../logger.js";
import type { SyncProgressListener } from "./sync-progress.js";

/** What one invocation of the job is given: configuration, the pool, and what tests inject. */
export interface SyncDeps {
  readonly config: SyncConfig;
  readonly pool: Pool;
  readonly logger: Logger;
  /** ms since the epoch; injectable so tests control time. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborting it stops the run cleanly: it ends as cancelled, the watermark unchanged. */
  readonly signal?: AbortSignal;
  readonly onProgress?: SyncProgressListener;
}
