/**
 * A JSON number that a JS number cannot hold exactly (an integer beyond ±2^53), kept as its source text
 * so that it reaches PostgreSQL (numeric, jsonb) digit for digit.
 */
export class LosslessNumber {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

const integerText = /^-?\d+$/;

/** The JS value for a JSON number's text: a number when exact, a LosslessNumber otherwise. */
export function toJsonNumber(text: string): number | LosslessNumber {
  const value = Number(text);
  if (integerText.test(text) && !Number.isSafeInteger(value)) return new LosslessNumber(text);
  return value;
}
