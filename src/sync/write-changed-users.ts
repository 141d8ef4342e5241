import { copyNewRows } from "../db/copy-new-rows.js";
import type { PoolClient } from "../db/pool.js";
import { withStagedRows } from "../db/stage-tables.js";
import { replaceUserAttributes } from "../db/user-attributes.js";
import { replaceUserGrants } from "../db/user-grants.js";
import { upsertUsers } from "../db/users.js";
import { toBatchRows } from "./batch-rows.js";
import type { NormalizedUser } from "./normalized-user.js";

export interface WrittenCounts {
  readonly usersWritten: number;
  readonly attributesWritten: number;
  readonly grantsWritten: number;
}

/**
 * Inside a batch's transaction: writes the changed users of the batch. Users the warehouse does not hold
 * go in by plain COPY (a first load is almost nothing else); users it holds are staged and upserted, their
 * vanished attributes and grants deleted. `stored` holds the ids of the users the warehouse holds;
 * `copyNew` false sends every user through the upsert (after a COPY met a row it did not expect).
 */
export async function writeChangedUsers(
  client: PoolClient,
  changed: readonly NormalizedUser[],
  stored: ReadonlySet<string>,
  runId: string,
  copyNew: boolean,
): Promise<WrittenCounts> {
  if (changed.length === 0) return { usersWritten: 0, attributesWritten: 0, grantsWritten: 0 };
  const isStored = copyNew ? (id: string) => stored.has(id) : () => true;
  const rows = toBatchRows(changed, isStored, runId);
  const copied = await copyNewRows(client, rows.added);
  const existing = copyNew ? [...stored] : changed.map((user) => user.userId);
  // The staged users are exactly `existing`: users the warehouse held, the only ones with rows to delete.
  const hasStored = existing.length > 0;
  return withStagedRows(client, rows.staged, async () => {
    const upserted = hasStored ? await upsertUsers(client) : [];
    const attributes = hasStored ? await replaceUserAttributes(client, existing) : 0;
    const grants = hasStored || rows.staged.grants.length > 0 ? await replaceUserGrants(client, existing) : 0;
    return {
      usersWritten: copied.users + upserted.length,
      attributesWritten: copied.attributes + attributes,
      grantsWritten: grants,
    };
  });
}
