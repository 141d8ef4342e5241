import {
  generateGrant,
  generateUserId,
  generatedRegisteredAtMs,
  type GeneratedUserElement,
} from "./generate-users.js";
import { SeededRandom, hash32, unitFloat } from "./seeded-random.js";

/**
 * Grants as a company account shows them: Zephr lists the account's grant under every member, with the
 * same grant id, and a grant's own `user_id` need not be the user it is listed under.
 */

/** Company accounts among generated users: generator indexes [k·n, (k+1)·n) are the members of account k. */
export interface SharedGrantsOptions {
  /** Users per account (n, at least 2); the account's first index is its owner. */
  readonly membersPerAccount: number;
  /** Share of accounts that hold a grant, from 0 to 1 (default 0.5), decided per account by the seed. */
  readonly accountShare?: number;
}

/**
 * What a grant's own `user_id` field says. "own": the user it is listed under. "other": another user of
 * the tenant, the account's owner (for the owner itself, the account's second member; without
 * `sharedGrants`, accounts of two are assumed), so a client that keys grants by it files them wrongly.
 */
export type GrantUserIds = "own" | "other";

/** How the grants of a block of generated users are shaped beyond what `generateUser` draws. */
export interface GeneratedGrantsShape {
  readonly sharedGrants?: SharedGrantsOptions;
  readonly grantUserIds?: GrantUserIds;
}

const salt = { holds: 0x41cc0517, grant: 0x5be0cd19 } as const;

/** Throws a RangeError when the options cannot describe accounts. */
export function checkGeneratedGrantsShape(shape: GeneratedGrantsShape): void {
  const shared = shape.sharedGrants;
  if (shared === undefined) return;
  if (!Number.isInteger(shared.membersPerAccount) || shared.membersPerAccount < 2) {
    throw new RangeError(
      `sharedGrants.membersPerAccount must be an integer of at least 2, got ${shared.membersPerAccount}`,
    );
  }
  const share = shared.accountShare ?? 0.5;
  if (!(share >= 0 && share <= 1)) {
    throw new RangeError(`sharedGrants.accountShare must lie in [0, 1], got ${share}`);
  }
}

/** True when the shape changes nothing (so the generator's element can be served as it is). */
export function isPlainGrantsShape(shape: GeneratedGrantsShape | undefined): boolean {
  return shape === undefined || (shape.sharedGrants === undefined && (shape.grantUserIds ?? "own") === "own");
}

/**
 * The generated user at `index` with its account's grant appended (when its account holds one) and every
 * grant's `user_id` as `shape.grantUserIds` says. Pure: the same arguments give an equal element, and
 * every member of an account lists the same grant (same id and fields, `user_id` aside).
 */
export function shapeAccountGrants(
  element: GeneratedUserElement,
  index: number,
  seed: number,
  shape: GeneratedGrantsShape,
): GeneratedUserElement {
  const membersPerAccount = shape.sharedGrants?.membersPerAccount ?? 2;
  const account = Math.floor(index / membersPerAccount);
  const ownerIndex = account * membersPerAccount;
  const userId = element.user.user_id;
  const grantUserId =
    (shape.grantUserIds ?? "own") === "own"
      ? userId
      : generateUserId(index === ownerIndex ? ownerIndex + 1 : ownerIndex, seed);
  const results = element.grants.results.map((grant) => ({ ...grant, user_id: grantUserId }));
  const shared = shape.sharedGrants;
  if (shared !== undefined && unitFloat(hash32(seed, account, salt.holds)) < (shared.accountShare ?? 0.5)) {
    const grant = generateGrant(new SeededRandom(hash32(seed, account, salt.grant)), {
      userId: generateUserId(ownerIndex, seed),
      // A day after the owner registered: the account bought it once, for everyone on it.
      startMs: generatedRegisteredAtMs(ownerIndex, seed) + 86_400_000,
      seed,
    });
    results.push({ ...grant, user_id: grantUserId });
  }
  return { ...element, grants: { results } };
}
