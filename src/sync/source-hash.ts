import { createHash } from "node:crypto";
import { stringifyJson } from "../json/stringify-json.js";
import type { BuiltValue } from "../zephr/json-value-builder.js";
import { isUuid } from "./is-uuid.js";

/** Bump when normalization changes meaning, so every user is rewritten once by the next run. */
export const normalizationVersion = 2;

/**
 * The content hash of an element as received (with the normalization version and grant zone, which
 * decide what it becomes). Equal to the stored hash means the user is unchanged: the element need not
 * even be normalized, and nothing is written.
 */
export function computeSourceHash(built: BuiltValue, grantTimezone: string): string {
  return createHash("sha256")
    .update(`${normalizationVersion}|${grantTimezone}|`)
    .update(stringifyJson(built.value, built.hasLossless))
    .digest("hex");
}

/** element.user.user_id when it is a UUID (lowercased), without validating anything else. */
export function peekUserId(element: unknown): string | undefined {
  if (typeof element !== "object" || element === null) return undefined;
  const user = (element as { user?: unknown }).user;
  if (typeof user !== "object" || user === null) return undefined;
  const id = (user as { user_id?: unknown }).user_id;
  return typeof id === "string" && isUuid(id) ? id.toLowerCase() : undefined;
}
