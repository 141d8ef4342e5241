import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import { computeSourceHash, peekUserId } from "../normalize/source-hash.js";

/** An element as received, waiting for its batch to be compared with the warehouse and loaded. */
export interface PendingElement {
  /** Built (scanned.build()) only when its hash differs from the warehouse's. */
  readonly scanned: ScannedElement;
  readonly page: number;
  /** computeSourceHash of the element. */
  readonly hash: string;
}

/** A pending element with its place in the batch's arrival order. */
export interface QueuedElement extends PendingElement {
  readonly arrival: number;
}

/**
 * Elements gathered for one load. Those with a user id are keyed by it, so an element seen twice (pages
 * that shift while Zephr serves them, a page fetched again after a reset) counts once, the later one
 * winning; those without one can only be rejected.
 */
export class UserBatch {
  readonly keyed = new Map<string, QueuedElement>();
  readonly unkeyed: QueuedElement[] = [];
  received = 0;
  pages = 0;
  bytes = 0;

  get size(): number {
    return this.keyed.size + this.unkeyed.length;
  }

  /** Adds elements of a page as they arrive, each keyed by its user id and hashed (computeSourceHash). */
  addScanned(elements: readonly ScannedElement[], page: number, grantTimezone: string): void {
    for (const scanned of elements) {
      this.add(peekUserId(scanned), { scanned, page, hash: computeSourceHash(scanned.json, grantTimezone) });
    }
  }

  add(userId: string | undefined, element: PendingElement): void {
    const queued = {
      scanned: element.scanned,
      page: element.page,
      hash: element.hash,
      arrival: this.received,
    };
    this.received += 1;
    if (userId === undefined) {
      this.unkeyed.push(queued);
      return;
    }
    this.keyed.delete(userId); // keep insertion order = latest arrival
    this.keyed.set(userId, queued);
  }
}
