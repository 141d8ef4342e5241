import { createHash } from "node:crypto";
import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import { toUserId } from "./is-uuid.js";

/**
 * Bump when normalization changes meaning, so every user is rewritten once by the next run that lists it.
 * 3: grants keyed by (user_id, grant_id), the grant's own user_id in grant_user_id; users rewritten get
 * back the grants the old key had given to another user.
 * 4: numbers keep their text wherever a double would not print it back (`0.12345678901234567890123`,
 * `1.50`), in the hashed text and in every jsonb column; users stored with rounded numbers are rewritten.
 */
export const normalizationVersion = 4;

/**
 * The content hash of an element as received (with the normalization version and grant zone, which
 * decide what it becomes). Equal to the stored hash means the user is unchanged: the element need not
 * even be built, let alone normalized, and nothing is written.
 *
 * `elementJson` is the element's compact JSON (as UTF-8 or as a string): ScannedElement.json, or
 * stringifyJson of the built value. They are the same text but for integer-like or repeated keys and
 * too-deep values: such an element hashes differently from the one way to the other, which costs one
 * rewrite of that user, nothing more.
 */
export function computeSourceHash(elementJson: Uint8Array | string, grantTimezone: string): string {
  return createHash("sha256")
    .update(`${normalizationVersion}|${grantTimezone}|`)
    .update(elementJson)
    .digest("hex");
}

/** element.user.user_id when it is a UUID (lowercased), without validating anything else. */
export function peekUserId(element: ScannedElement): string | undefined {
  return toUserId(element.userId);
}
