import { copyNewRows } from "../db/copy-new-rows.js";
import type { PoolClient } from "../db/pool.js";
import { withStagedRows } from "../db/stage-tables.js";
import { replaceUserAttributes } from "../db/user-attributes.js";
import { replaceUserGrants } from "../db/user-grants.js";
import { upsertUsers } from "../db/users.js";
import { toBatchRows, type BatchRows } from "./batch-rows.js";
import type { NormalizedUser } from "./normalized-user.js";

export interface WrittenCounts {
  readonly usersWritten: number;
  readonly attributesWritten: number;
  readonly grantsWritten: number;
}

/** A batch's changed users encoded for its transaction, ready before its turn to write comes. */
export interface PreparedWrite {
  readonly rows: BatchRows;
  /** The staged users: those the warehouse holds, the only ones with attributes and grants to delete. */
  readonly existing: readonly string[];
}

/**
 * Encodes the changed users of a batch as COPY text. Users the warehouse does not hold (not in `stored`)
 * will go in by plain COPY (a first load is almost nothing else); users it holds are staged and
 * upserted. `copyNew` false stages every user (after a COPY met a row it did not expect).
 */
export async function prepareWrite(
  changed: readonly NormalizedUser[],
  stored: ReadonlySet<string>,
  runId: string,
  copyNew: boolean,
): Promise<PreparedWrite> {
  const isStored = copyNew ? (id: string) => stored.has(id) : () => true;
  return {
    rows: await toBatchRows(changed, isStored, runId),
    existing: copyNew ? [...stored] : changed.map((user) => user.userId),
  };
}

/**
 * Inside a batch's transaction: writes what prepareWrite encoded. New users and their attributes by
 * COPY; the staged users upserted, their vanished attributes and grants deleted; every grant upserted.
 */
export async function writeChangedUsers(
  client: PoolClient,
  { rows, existing }: PreparedWrite,
): Promise<WrittenCounts> {
  const copied = await copyNewRows(client, rows.added);
  const hasStored = existing.length > 0;
  if (!hasStored && rows.staged.grants.length === 0) {
    return { usersWritten: copied.users, attributesWritten: copied.attributes, grantsWritten: 0 };
  }
  return withStagedRows(client, rows.staged, async () => {
    const upserted = hasStored ? await upsertUsers(client) : [];
    const attributes = hasStored ? await replaceUserAttributes(client, existing) : 0;
    const grants = await replaceUserGrants(client, existing);
    return {
      usersWritten: copied.users + upserted.length,
      attributesWritten: copied.attributes + attributes,
      grantsWritten: grants,
    };
  });
}
