import type { RunCounts } from "../db/sync-runs.js";
import { UserBatch } from "./user-batch.js";

/**
 * Gathers users into batches and loads each in the background while the next one is being parsed: at
 * most one batch is being loaded and one being filled, so memory stays flat whatever the export size.
 * A failed load surfaces on the next `next()`/`finish()`.
 */
export class BatchLoader {
  private current = new UserBatch();
  private inFlight: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly batchSize: number,
    private readonly load: (batch: UserBatch) => Promise<RunCounts>,
    private readonly onLoaded: (counts: RunCounts) => void,
  ) {}

  /** The batch elements go into now. */
  get batch(): UserBatch {
    return this.current;
  }

  /** Call after adding to `batch`: hands it to the loader when full, waiting for the previous load first. */
  async next(): Promise<void> {
    this.throwIfFailed();
    if (this.current.size < this.batchSize) return;
    await this.flush();
  }

  /** Loads whatever is gathered and waits for every load to finish. */
  async finish(): Promise<void> {
    await this.flush();
    await this.inFlight;
    this.throwIfFailed();
  }

  /** Waits for the load in flight without starting another (used when a run is abandoned). */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  private async flush(): Promise<void> {
    await this.inFlight;
    this.throwIfFailed();
    const batch = this.current;
    if (batch.size === 0 && batch.pages === 0) return;
    this.current = new UserBatch();
    this.inFlight = this.load(batch).then(
      (counts) => {
        this.onLoaded(counts);
      },
      (error: unknown) => {
        this.failure = { error };
      },
    );
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
