import type { ScannedElement } from "../../zephr/json/scanned-element.js";
import { normalizeElement, type NormalizeOptions } from "./normalize-element.js";
import type { NormalizedUser } from "../../db/normalized-user.js";

export type ValidatedElement =
  | { readonly ok: true; readonly user: NormalizedUser }
  | {
      readonly ok: false;
      /** user.user_id as found when it was a string (at most 200 characters). */
      readonly userId: string | null;
      /** Every reason, those only the scan could see (repeated keys, bytes not UTF-8) first. */
      readonly reasons: readonly string[];
    };

/**
 * Validates an element as received: normalizeElement on its built value, plus what only the scan
 * noticed (ScannedElement.problems), which rejects the element too. Reasons are all listed.
 */
export function validateElement(
  scanned: ScannedElement,
  options: NormalizeOptions,
  contentHash: string,
): ValidatedElement {
  const outcome = normalizeElement(scanned.build(), options, contentHash);
  const problems = scanned.problems;
  if (outcome.ok && problems === undefined) return outcome;
  if (!outcome.ok) {
    const reasons =
      problems === undefined ? outcome.rejected.reasons : [...problems, ...outcome.rejected.reasons];
    return { ok: false, userId: outcome.rejected.userId, reasons };
  }
  return { ok: false, userId: scanned.userId?.slice(0, 200) ?? null, reasons: problems ?? [] };
}
