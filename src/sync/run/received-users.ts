import type { EnvelopeSummary } from "../../zephr/json/export-body-parser.js";
import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import type { ListedUsers } from "../load/listed-users.js";
import { peekUserId } from "../normalize/source-hash.js";
import { UserIdSet } from "../load/user-id-set.js";

/**
 * How many users an export delivered, to hold against the total Zephr stated: each user id once (a
 * user listed on two pages, or a page fetched again after a reset, counts once), plus every element
 * without a usable id (rejected, but listed all the same).
 *
 * The ids take 16 bytes each, so they are kept once: a complete export into a warehouse with live users
 * remembers them already (ListedUsers, filled by the load, read once the load has finished); otherwise
 * a set of their own, sized once the first page is read by the total it states (a set that grows holds
 * its old and new table at once: 50 MB at a million ids instead of 25).
 */
export class ReceivedUsers {
  private ids: UserIdSet | undefined;
  /** The first page's ids, until its end says how many to expect. */
  private firstPage: string[] | undefined = [];
  private withoutId = 0;

  constructor(private readonly listed: ListedUsers | undefined) {}

  add(elements: readonly ScannedElement[]): void {
    for (const element of elements) {
      const id = peekUserId(element);
      if (id === undefined) this.withoutId += 1;
      else if (this.listed !== undefined) continue;
      else if (this.firstPage !== undefined) this.firstPage.push(id);
      else this.ids?.add(id);
    }
  }

  /** A page was read; the first one sizes the set by the total it states (meta.count), if any. */
  pageRead(summary: EnvelopeSummary): void {
    if (this.firstPage === undefined) return;
    const firstPage = this.firstPage;
    this.firstPage = undefined;
    if (this.listed !== undefined) return;
    const expected = Math.max(summary.totalCount ?? 0, firstPage.length);
    this.ids = expected > 0 ? UserIdSet.forExpected(expected) : new UserIdSet();
    for (const id of firstPage) this.ids.add(id);
  }

  /** Once every batch is loaded (ListedUsers is filled by the load). */
  get count(): number {
    const distinct = this.listed?.size ?? this.ids?.size ?? new Set(this.firstPage).size;
    return distinct + this.withoutId;
  }
}
