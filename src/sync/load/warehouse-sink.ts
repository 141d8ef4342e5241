import type { Pool } from "../../db/pool.js";
import { zeroCounts, type RunCounts } from "../../db/sync-runs.js";
import type { Logger } from "../../logger.js";
import type { PageResult } from "../../zephr/export/export-pages.js";
import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import { BatchLoader } from "./batch-loader.js";
import type { ExportSink } from "./export-sink.js";
import { loadUserBatch } from "./load-user-batch.js";
import { addCounts } from "../run/run-counts.js";
import type { ListedUsers } from "./listed-users.js";

export interface WarehouseSinkOptions {
  readonly pool: Pool;
  readonly runId: string;
  readonly batchSize: number;
  readonly grantTimezone: string;
  /** zephr.users held no row when the run started (LoadDeps.startedEmpty). */
  readonly startedEmpty: boolean;
  /** Full exports: remembers every listed user so that the unlisted can be marked deleted. */
  readonly seen: ListedUsers | undefined;
  readonly logger: Logger;
}

/**
 * Hashes elements as they arrive (their scanned text) and loads them batch by batch, one transaction
 * each, while the next batch parses; building and validation happen at load time, only for users whose
 * hash changed.
 */
export class WarehouseSink implements ExportSink {
  counts: RunCounts = zeroCounts;
  private readonly loader: BatchLoader;

  constructor(private readonly options: WarehouseSinkOptions) {
    const { pool, runId, seen, logger, grantTimezone, startedEmpty } = options;
    this.loader = new BatchLoader(
      options.batchSize,
      (batch, previous) =>
        loadUserBatch(
          { pool, runId, seen, grantTimezone, startedEmpty, retries: 3, retryMinMs: 200, logger },
          batch,
          previous,
        ),
      (loaded) => {
        this.counts = addCounts(this.counts, loaded);
        logger.debug({ batch: loaded, total: this.counts }, "batch loaded");
      },
    );
  }

  async accept(elements: readonly ScannedElement[], page: number): Promise<void> {
    this.loader.batch.addScanned(elements, page, this.options.grantTimezone);
    await this.loader.next();
  }

  async pageDone(result: PageResult): Promise<void> {
    const batch = this.loader.batch;
    batch.pages += 1;
    batch.bytes += result.bytes;
    await this.loader.next();
  }

  finish(): Promise<void> {
    return this.loader.finish();
  }

  settle(): Promise<void> {
    return this.loader.settle();
  }
}
