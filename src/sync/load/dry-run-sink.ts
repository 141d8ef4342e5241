import type { Pool, PoolClient } from "../../db/pool.js";
import { findUserHashes } from "../../db/user-hashes.js";
import type { PageResult } from "../../zephr/export/export-pages.js";
import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import type { ExportSink } from "./export-sink.js";
import { findUnlistedUsers } from "./find-unlisted-users.js";
import { toUserId } from "../normalize/is-uuid.js";
import type { DryRunReport } from "../run/sync-request.js";
import { UserBatch, type PendingElement } from "./user-batch.js";
import { UserIdSet } from "./user-id-set.js";
import { validateElement } from "../normalize/validate-element.js";

/**
 * A dry run's tally: every element is hashed and compared with the warehouse (and validated unless
 * unchanged), exactly as a load would, and nothing is written.
 */
export class DryRunSink implements ExportSink {
  private batch = new UserBatch();
  private readonly seen: UserIdSet | undefined;
  private readonly tally = {
    pages: 0,
    bytes: 0,
    usersReceived: 0,
    newUsers: 0,
    changedUsers: 0,
    unchangedUsers: 0,
    rejected: 0,
  };

  constructor(
    private readonly client: Pool | PoolClient,
    private readonly batchSize: number,
    private readonly grantTimezone: string,
    full: boolean,
  ) {
    this.seen = full ? new UserIdSet() : undefined;
  }

  async accept(elements: readonly ScannedElement[], page: number): Promise<void> {
    this.batch.addScanned(elements, page, this.grantTimezone);
    if (this.batch.size >= this.batchSize) await this.compare();
  }

  pageDone(result: PageResult): Promise<void> {
    this.tally.pages += 1;
    this.tally.bytes += result.bytes;
    return Promise.resolve();
  }

  finish(): Promise<void> {
    return this.compare();
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  async report(): Promise<DryRunReport> {
    const wouldMarkDeleted =
      this.seen === undefined ? undefined : (await findUnlistedUsers(this.client, this.seen, 0)).unlisted;
    return { ...this.tally, wouldMarkDeleted };
  }

  private async compare(): Promise<void> {
    const batch = this.batch;
    this.batch = new UserBatch();
    this.tally.usersReceived += batch.received;
    const stored = await findUserHashes(this.client, [...batch.keyed.keys()]);
    for (const [userId, element] of batch.keyed) {
      this.seen?.add(userId);
      const found = stored.get(userId);
      if (found?.hash === element.hash && !found.deleted) this.tally.unchangedUsers += 1;
      else if (!this.isValid(element)) this.tally.rejected += 1;
      else if (found === undefined) this.tally.newUsers += 1;
      else this.tally.changedUsers += 1;
    }
    for (const element of batch.unkeyed) if (!this.isValid(element)) this.tally.rejected += 1;
  }

  private isValid(element: PendingElement): boolean {
    const outcome = validateElement(element.scanned, { grantTimezone: this.grantTimezone }, element.hash);
    const rejectedId = outcome.ok ? undefined : toUserId(outcome.userId);
    if (rejectedId !== undefined) this.seen?.add(rejectedId);
    return outcome.ok;
  }
}
