import type { LosslessNumber } from "../json/lossless-number.js";

/** One grant as it will be stored; instants are UTC ISO strings, null when absent. */
export interface NormalizedGrant {
  readonly grantId: string;
  /**
   * The grant's own `user_id` when it is a UUID (lowercased); null when it has none. It may name someone
   * other than the user whose element lists the grant (a company account's grant). A `user_id` that is
   * not a UUID stays in `extra`.
   */
  readonly grantUserId: string | null;
  readonly accountId: string | null;
  readonly entitlementType: string | null;
  readonly entitlementId: string | null;
  readonly productId: string | null;
  readonly expiryState: string | null;
  readonly startsAt: string | null;
  /** null = indefinite. */
  readonly endsAt: string | null;
  readonly createdAt: string | null;
  readonly extra: Readonly<Record<string, unknown>>;
}

/** One export element, validated: the user's whole current state. */
export interface NormalizedUser {
  /** Lowercase UUID. */
  readonly userId: string;
  readonly emailAddress: string | null;
  readonly emailVerified: boolean | null;
  readonly trackingId: string | null;
  readonly registeredAt: string | null;
  readonly registrationTenant: string | null;
  readonly identifiers: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly seqNo: number | LosslessNumber | null;
  readonly userExtra: Readonly<Record<string, unknown>>;
  readonly elementExtra: Readonly<Record<string, unknown>>;
  readonly grants: readonly NormalizedGrant[];
  /** Some number inside is a LosslessNumber: serialize with stringifyJson's slow path. */
  readonly hasLossless: boolean;
  /** computeSourceHash of the element it came from: equal to the stored one means nothing to write. */
  readonly contentHash: string;
}

export interface RejectedElement {
  /** user.user_id as found, when it was a string. */
  readonly userId: string | null;
  readonly reasons: readonly string[];
  /** The element as JSON text. */
  readonly element: string;
}

export type NormalizeOutcome =
  | { readonly ok: true; readonly user: NormalizedUser }
  | { readonly ok: false; readonly rejected: RejectedElement };
