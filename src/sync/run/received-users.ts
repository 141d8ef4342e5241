import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import { peekUserId } from "../normalize/source-hash.js";
import { UserIdSet } from "../load/user-id-set.js";

/**
 * How many users an export delivered, to hold against the total Zephr stated: each user id once (a
 * user listed on two pages, or a page fetched again after a reset, counts once), plus every element
 * without a usable id (rejected, but listed all the same). 16 bytes per user.
 */
export class ReceivedUsers {
  private readonly ids = new UserIdSet();
  private withoutId = 0;

  add(elements: readonly ScannedElement[]): void {
    for (const element of elements) {
      const id = peekUserId(element);
      if (id === undefined) this.withoutId += 1;
      else this.ids.add(id);
    }
  }

  get count(): number {
    return this.ids.size + this.withoutId;
  }
}
