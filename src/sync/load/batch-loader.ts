import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import { UserBatch } from "./user-batch.js";

/** A load that has started and not ended: its users, and a promise that settles (never rejects) when it ends. */
interface Flight {
  readonly userIds: ReadonlySet<string>;
  readonly ended: Promise<void>;
}

/**
 * Gathers users into batches and loads each in the background while the next one is being parsed. Up to
 * `maxInFlight` loads run at once, so that PostgreSQL writes one batch while the next is compared and
 * validated; each load gets the end of the one before it (`previous`) and writes only after it, so
 * batches are written in the order they arrived: a user delivered twice ends as its later element
 * (grants are each user's own rows, so a grant id under two users is kept for both). A batch sharing a user with a load in flight starts after it, so that its comparison sees
 * what that load wrote. Memory stays flat whatever the export size: at most `maxInFlight` batches
 * loading and one filling. A failed load surfaces on the next `next()`/`finish()`.
 */
export class BatchLoader<Result> {
  private current = new UserBatch();
  private readonly inFlight = new Set<Flight>();
  /** The end of the load started last. */
  private lastEnded: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly batchSize: number,
    private readonly load: (batch: UserBatch, previous: Promise<void>) => Promise<Result>,
    private readonly onLoaded: (result: Result) => void,
    private readonly maxInFlight = 2,
  ) {}

  /** The batch elements go into now. */
  get batch(): UserBatch {
    return this.current;
  }

  /** Adds the elements a chunk of `page` completed (hashed, keyed by user) and hands on a full batch. */
  async addElements(elements: readonly ScannedElement[], page: number, grantTimezone: string): Promise<void> {
    this.current.addScanned(elements, page, grantTimezone);
    await this.next();
  }

  /** Counts a page read completely (`bytes` long) into the batch it ended in. */
  async addPage(bytes: number): Promise<void> {
    this.current.pages += 1;
    this.current.bytes += bytes;
    await this.next();
  }

  /** Call after adding to `batch`: hands it to a loader when full, waiting for room first. */
  async next(): Promise<void> {
    this.throwIfFailed();
    if (this.current.size < this.batchSize) return;
    await this.flush();
  }

  /** Loads whatever is gathered and waits for every load to finish. */
  async finish(): Promise<void> {
    await this.flush();
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for the loads in flight without starting another (used when a run is abandoned). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight].map((flight) => flight.ended));
  }

  private async flush(): Promise<void> {
    this.throwIfFailed();
    const batch = this.current;
    if (batch.size === 0 && batch.pages === 0) return;
    this.current = new UserBatch();
    const userIds = new Set(batch.keyed.keys());
    for (const flight of [...this.inFlight]) {
      if (sharesAny(flight.userIds, userIds)) await flight.ended;
    }
    while (this.inFlight.size >= this.maxInFlight) await Promise.race([...this.inFlight].map((f) => f.ended));
    this.throwIfFailed();
    const flight: Flight = {
      userIds,
      ended: this.load(batch, this.lastEnded).then(
        (result) => {
          this.onLoaded(result);
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      ),
    };
    this.inFlight.add(flight);
    this.lastEnded = flight.ended;
    void flight.ended.then(() => this.inFlight.delete(flight));
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}

function sharesAny(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const id of b) if (a.has(id)) return true;
  return false;
}
