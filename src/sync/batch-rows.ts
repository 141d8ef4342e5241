import { attributeLines, grantLine, userLine, type WarehouseRows } from "../db/copy-lines.js";
import type { NormalizedGrant, NormalizedUser } from "./normalized-user.js";

/** A batch's rows split by how they reach the warehouse. */
export interface BatchRows {
  /** Users the warehouse does not hold, their attributes and their grants: plain COPY. */
  readonly added: WarehouseRows;
  /** The other users, their attributes and their grants: staged, then upserted (stage-tables.ts). */
  readonly staged: WarehouseRows;
}

interface OwnedGrant {
  readonly user: NormalizedUser;
  readonly grant: NormalizedGrant;
}

/** One grant per grant id: a grant listed under two users of the batch goes to the later one. */
function latestGrants(users: readonly NormalizedUser[]): Map<string, OwnedGrant> {
  const grants = new Map<string, OwnedGrant>();
  for (const user of users) {
    for (const grant of user.grants) {
      grants.delete(grant.grantId);
      grants.set(grant.grantId, { user, grant });
    }
  }
  return grants;
}

/**
 * The COPY text of a batch of changed users (no two with the same id), in arrival order. A user is
 * `added` when the warehouse does not hold it, and so are its grants: a grant the warehouse holds under
 * another user fails that COPY, and the batch is then upserted (which moves the grant).
 */
export function toBatchRows(
  users: readonly NormalizedUser[],
  isStored: (userId: string) => boolean,
  runId: string,
): BatchRows {
  const added = { users: [] as string[], attributes: [] as string[], grants: [] as string[] };
  const staged = { users: [] as string[], attributes: [] as string[], grants: [] as string[] };
  for (const user of users) {
    const target = isStored(user.userId) ? staged : added;
    target.users.push(userLine(user, runId));
    target.attributes.push(attributeLines(user).text);
  }
  for (const { user, grant } of latestGrants(users).values()) {
    (isStored(user.userId) ? staged : added).grants.push(grantLine(user, grant));
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
