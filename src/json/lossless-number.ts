/**
 * A JSON number whose text a JS number would not print back as received: an integer beyond ±2^53, a
 * decimal with more digits than a double holds (`0.12345678901234567890123`), a number beyond the range
 * of a double (`1e400` would become Infinity, which JSON writes as null; `1e-400` would become 0), or
 * one written another way (`1.50`, `1e2`, `-0`). Kept as its source text so that it reaches
 * PostgreSQL (numeric, jsonb) exactly as Zephr sent it: jsonb's numeric holds any precision.
 */
export class LosslessNumber {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/**
 * The JS value for a JSON number's text: a number when it prints back as the same text (nearly every
 * number Zephr sends: `17`, `1.5`), a LosslessNumber otherwise.
 */
export function toJsonNumber(text: string): number | LosslessNumber {
  const value = Number(text);
  return String(value) === text ? value : new LosslessNumber(text);
}

/** Whether toJsonNumber makes a LosslessNumber of this JSON number's text. */
export function isLosslessNumberText(text: string): boolean {
  return String(Number(text)) !== text;
}
