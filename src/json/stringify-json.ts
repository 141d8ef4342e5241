import { LosslessNumber } from "./lossless-number.js";

// A marker no stored string can contain: strings with NUL are rejected before they get here, since
// PostgreSQL cannot store them. JSON.stringify writes NUL as the six characters \u0000.
const marker = "\u0000lossless:";
// Any JSON number: LosslessNumber texts come from the parser's number tokens.
const markerPattern = /"\\u0000lossless:(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"/g;

function replaceLossless(this: unknown, _key: string, value: unknown): unknown {
  return value instanceof LosslessNumber ? marker + value.text : value;
}

/**
 * JSON.stringify that writes LosslessNumber values as bare numbers, exactly as received. Native speed
 * when the value holds no LosslessNumber (`mayContainLossless` false).
 */
export function stringifyJson(value: unknown, mayContainLossless = true): string {
  if (!mayContainLossless) return JSON.stringify(value);
  const text = JSON.stringify(value, replaceLossless);
  return text.includes("\\u0000lossless:") ? text.replace(markerPattern, "$1") : text;
}
