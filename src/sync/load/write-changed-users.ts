import { copyNewRows } from "../../db/copy-new-rows.js";
import type { PoolClient } from "../../db/pool.js";
import { withStagedRows } from "../../db/stage-tables.js";
import { replaceUserAttributes } from "../../db/user-attributes.js";
import { replaceUserGrants } from "../../db/user-grants.js";
import { upsertUsers } from "../../db/users.js";
import { toBatchRows, type BatchRows } from "./batch-rows.js";
import type { NormalizedUser } from "../../db/normalized-user.js";

export interface WrittenCounts {
  readonly usersWritten: number;
  readonly attributesWritten: number;
  readonly grantsWritten: number;
}

/** A batch's changed users encoded for its transaction, ready before its turn to write comes. */
export interface PreparedWrite {
  readonly rows: BatchRows;
  /** The staged users: those the warehouse holds, the only ones with attributes and grants to delete. */
  readonly stored: readonly string[];
}

/**
 * How a batch's changed users are written. copy-new: users the warehouse does not hold go in by plain
 * COPY with their attributes and grants (a first load is almost nothing else), stored users are staged
 * and upserted. upsert-all: every user is staged and upserted, after a COPY met a row it did not expect.
 */
export type WriteMode = "copy-new" | "upsert-all";

/** Encodes the changed users of a batch as COPY text, by `mode`; `stored`: those the warehouse holds. */
export async function prepareWrite(
  changed: readonly NormalizedUser[],
  stored: ReadonlySet<string>,
  runId: string,
  mode: WriteMode,
): Promise<PreparedWrite> {
  const copyNew = mode === "copy-new";
  const isStored = copyNew ? (id: string) => stored.has(id) : () => true;
  return {
    rows: await toBatchRows(changed, isStored, runId),
    stored: copyNew ? [...stored] : changed.map((user) => user.userId),
  };
}

/**
 * Inside a batch's transaction: writes what prepareWrite encoded. New users, their attributes and their
 * grants by COPY; the staged users upserted with their attributes and grants, what they no longer list
 * deleted (their own rows only: grants are keyed by user and grant id).
 */
export async function writeChangedUsers(
  client: PoolClient,
  { rows, stored }: PreparedWrite,
): Promise<WrittenCounts> {
  const copied = await copyNewRows(client, rows.added);
  if (stored.length === 0) {
    return {
      usersWritten: copied.users,
      attributesWritten: copied.attributes,
      grantsWritten: copied.grants,
    };
  }
  return withStagedRows(client, rows.staged, async () => {
    const upserted = await upsertUsers(client);
    const attributes = await replaceUserAttributes(client, stored);
    const grants = await replaceUserGrants(client, stored);
    return {
      usersWritten: copied.users + upserted.length,
      attributesWritten: copied.attributes + attributes,
      grantsWritten: copied.grants + grants,
    };
  });
}
