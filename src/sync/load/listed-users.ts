import { UserIdSet } from "./user-id-set.js";

/**
 * The users a complete export listed, for the deletion check at its end, and how many of them are
 * certainly live in the warehouse once the run's batches are in. When that count equals the warehouse's
 * live users, every live user was listed and nobody needs comparing: the check over every live id (a
 * read of the whole table) is skipped.
 */
export class ListedUsers {
  private constructor(private readonly ids: UserIdSet) {}

  /** Listed users counted live once loaded: each id once, and only when that is certain. */
  private live = 0;

  /** For about `expected` users (the live count at the start), so the set need not grow. */
  static forExpected(expected: number): ListedUsers {
    return new ListedUsers(UserIdSet.forExpected(expected));
  }

  /**
   * A listed user (a lowercase UUID). `liveOnceLoaded`: the user is live in the warehouse once its batch
   * is written (unchanged and live, or valid and about to be written). When in doubt, false: an id first
   * counted as not live is never counted later, and a short count only costs the full check.
   */
  add(id: string, liveOnceLoaded: boolean): void {
    if (this.ids.add(id) && liveOnceLoaded) this.live += 1;
  }

  /** Distinct users listed so far. */
  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * Whether the warehouse's `liveUsers` (counted after the load) are all listed ones. Only this run
   * writes users meanwhile (the run lock), and every user counted is live, so equal counts mean no live
   * user is unlisted.
   */
  coversAllLive(liveUsers: number): boolean {
    return this.live === liveUsers;
  }
}
