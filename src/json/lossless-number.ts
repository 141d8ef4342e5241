/**
 * A JSON number that a JS number cannot hold: an integer beyond ±2^53 (it would lose digits), or a
 * number beyond the range of a double (`1e400` would become Infinity, which JSON writes as null;
 * `1e-400` would become 0). Kept as its source text so that it reaches PostgreSQL (numeric, jsonb)
 * exactly as received.
 */
export class LosslessNumber {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

const integerText = /^-?\d+$/;

/** The JS value for a JSON number's text: a number when it holds it, a LosslessNumber otherwise. */
export function toJsonNumber(text: string): number | LosslessNumber {
  const value = Number(text);
  if (integerText.test(text)) return Number.isSafeInteger(value) ? value : new LosslessNumber(text);
  if (!Number.isFinite(value)) return new LosslessNumber(text);
  // Underflow: a mantissa with a non-zero digit that came out as zero.
  if (value === 0 && /[1-9]/.test(text.split(/[eE]/)[0] ?? "")) return new LosslessNumber(text);
  return value;
}
