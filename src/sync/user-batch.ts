import type { NormalizedUser, RejectedElement } from "./normalized-user.js";

/** A rejected element and the page it came on. */
export interface PageReject {
  readonly page: number;
  readonly rejected: RejectedElement;
}

/**
 * Users and rejects gathered for one load. Users are keyed by id, so an element seen twice (pages that
 * shift while Zephr serves them, a page fetched again after a reset) counts once, the later one winning.
 */
export class UserBatch {
  readonly users = new Map<string, NormalizedUser>();
  readonly rejects: PageReject[] = [];
  received = 0;
  pages = 0;
  bytes = 0;

  get size(): number {
    return this.users.size + this.rejects.length;
  }

  addUser(user: NormalizedUser): void {
    this.received += 1;
    this.users.delete(user.userId); // keep insertion order = latest arrival
    this.users.set(user.userId, user);
  }

  addReject(page: number, rejected: RejectedElement): void {
    this.received += 1;
    this.rejects.push({ page, rejected });
  }
}
