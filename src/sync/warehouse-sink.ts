import type { Pool } from "../db/pool.js";
import { zeroCounts, type RunCounts } from "../db/sync-runs.js";
import type { Logger } from "../logger.js";
import type { BuiltValue } from "../zephr/json-value-builder.js";
import type { PageResult } from "../zephr/export-pages.js";
import { BatchLoader } from "./batch-loader.js";
import type { ExportSink } from "./export-sink.js";
import { loadUserBatch } from "./load-user-batch.js";
import { normalizeElement } from "./normalize-element.js";
import { addCounts } from "./run-counts.js";

export interface WarehouseSinkOptions {
  readonly pool: Pool;
  readonly runId: string;
  readonly batchSize: number;
  readonly grantTimezone: string;
  /** Full exports: note every listed user so that the unlisted can be marked deleted. */
  readonly trackSeen: boolean;
  readonly logger: Logger;
}

/** Validates elements and loads them batch by batch, one transaction each, while the next batch parses. */
export class WarehouseSink implements ExportSink {
  counts: RunCounts = zeroCounts;
  private readonly loader: BatchLoader;

  constructor(private readonly options: WarehouseSinkOptions) {
    const { pool, runId, trackSeen, logger } = options;
    this.loader = new BatchLoader(
      options.batchSize,
      (batch) => loadUserBatch({ pool, runId, trackSeen, retries: 3, retryMinMs: 200 }, batch),
      (loaded) => {
        this.counts = addCounts(this.counts, loaded);
        logger.debug({ batch: loaded, total: this.counts }, "batch loaded");
      },
    );
  }

  async accept(elements: readonly BuiltValue[], page: number): Promise<void> {
    const batch = this.loader.batch;
    for (const built of elements) {
      const outcome = normalizeElement(built, { grantTimezone: this.options.grantTimezone });
      if (outcome.ok) batch.addUser(outcome.user);
      else batch.addReject(page, outcome.rejected);
    }
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
