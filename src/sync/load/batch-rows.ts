import { attributeLines, grantLine, userLine, type WarehouseRows } from "../../db/copy-lines.js";
import type { NormalizedUser } from "../../db/normalized-user.js";
import { itemsPerTurn, nextTurn } from "./next-turn.js";

/** A batch's rows split by how they reach the warehouse. */
export interface BatchRows {
  /** Users the warehouse does not hold, their attributes and their grants: plain COPY. */
  readonly added: WarehouseRows;
  /** The other users, their attributes and their grants: staged, then upserted (stage-tables.ts). */
  readonly staged: WarehouseRows;
}

/**
 * The COPY text of a batch of changed users (no two with the same id), in arrival order, encoded a
 * slice at a time (nextTurn). A user is `added`, with its attributes and grants, when the warehouse does
 * not hold it. Grants are keyed by (user_id, grant_id): a grant id other users list too (a company
 * account's grant, seen by each member) is a row of each of them, so a new user's grants cannot meet a
 * stored row and go in by COPY like the rest of it. (When grants were keyed by grant_id alone, such a
 * grant made the COPY fail; almost half the batches of a million-user first load met one.) A user lists
 * each grant id once (normalizeElement keeps one of identical repeats and rejects differing ones).
 */
export async function toBatchRows(
  users: readonly NormalizedUser[],
  isStored: (userId: string) => boolean,
  runId: string,
): Promise<BatchRows> {
  const added = { users: [] as string[], attributes: [] as string[], grants: [] as string[] };
  const staged = { users: [] as string[], attributes: [] as string[], grants: [] as string[] };
  for (const [index, user] of users.entries()) {
    if (index % itemsPerTurn === itemsPerTurn - 1) await nextTurn();
    const target = isStored(user.userId) ? staged : added;
    target.users.push(userLine(user, runId));
    target.attributes.push(attributeLines(user).text);
    for (const grant of user.grants) target.grants.push(grantLine(user, grant));
  }
  return { added: joinRows(added), staged: joinRows(staged) };
}

function joinRows(lines: { users: string[]; attributes: string[]; grants: string[] }): WarehouseRows {
  return {
    users: lines.users.join(""),
    attributes: lines.attributes.join(""),
    grants: lines.grants.join(""),
  };
}
