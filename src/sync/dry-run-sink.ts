import type { PoolClient } from "../db/pool.js";
import { addDryRunSeen, countDryRunUnseen, createDryRunSeen } from "../db/dry-run-seen.js";
import { findUserHashes } from "../db/user-hashes.js";
import type { BuiltValue } from "../zephr/json-value-builder.js";
import type { PageResult } from "../zephr/export-pages.js";
import type { ExportSink } from "./export-sink.js";
import type { NormalizedUser } from "./normalized-user.js";
import { normalizeElement } from "./normalize-element.js";
import type { DryRunReport } from "./sync-request.js";
import { isUuid } from "./is-uuid.js";

/**
 * Validates everything and compares it with the warehouse by content hash, writing nothing: a dry run's
 * tally. Works on one dedicated connection (its temporary table lists the users seen, for --full).
 */
export class DryRunSink implements ExportSink {
  private pending = new Map<string, NormalizedUser>();
  /** Rejected elements whose user_id is a UUID: those users exist, so they count as listed. */
  private rejectedIds: string[] = [];
  private readonly tally = {
    pages: 0,
    bytes: 0,
    usersReceived: 0,
    newUsers: 0,
    changedUsers: 0,
    unchangedUsers: 0,
    rejected: 0,
  };

  private constructor(
    private readonly client: PoolClient,
    private readonly batchSize: number,
    private readonly grantTimezone: string,
    private readonly full: boolean,
  ) {}

  static async open(
    client: PoolClient,
    batchSize: number,
    grantTimezone: string,
    full: boolean,
  ): Promise<DryRunSink> {
    if (full) await createDryRunSeen(client);
    return new DryRunSink(client, batchSize, grantTimezone, full);
  }

  async accept(elements: readonly BuiltValue[]): Promise<void> {
    for (const built of elements) {
      this.tally.usersReceived += 1;
      const outcome = normalizeElement(built, { grantTimezone: this.grantTimezone });
      if (outcome.ok) {
        this.pending.set(outcome.user.userId, outcome.user);
      } else {
        this.tally.rejected += 1;
        const id = outcome.rejected.userId;
        if (id !== null && isUuid(id)) this.rejectedIds.push(id.toLowerCase());
      }
    }
    if (this.pending.size >= this.batchSize) await this.compare();
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
    return { ...this.tally, wouldMarkDeleted: this.full ? await countDryRunUnseen(this.client) : undefined };
  }

  private async compare(): Promise<void> {
    const users = [...this.pending.values()];
    const rejectedIds = this.rejectedIds;
    this.pending = new Map();
    this.rejectedIds = [];
    if (this.full && rejectedIds.length > 0) await addDryRunSeen(this.client, rejectedIds);
    if (users.length === 0) return;
    const ids = users.map((u) => u.userId);
    const stored = await findUserHashes(this.client, ids);
    for (const user of users) {
      const found = stored.get(user.userId);
      if (found === undefined) this.tally.newUsers += 1;
      else if (found.hash !== user.contentHash || found.deleted) this.tally.changedUsers += 1;
      else this.tally.unchangedUsers += 1;
    }
    if (this.full) await addDryRunSeen(this.client, ids);
  }
}
