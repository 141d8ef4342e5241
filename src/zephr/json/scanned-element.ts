import { buildJsonValue } from "./build-json-value.js";
import type { BuiltValue } from "./json-value-builder.js";
import { maxElementDepth } from "./max-element-depth.js";

/**
 * One export element as it streamed by: its compact JSON and what was noticed on the way, without the
 * JS value, which only elements that must be validated need (`build`).
 */
export class ScannedElement {
  constructor(
    /**
     * `text` as UTF-8, a view of the scanner's slab (off the JS heap: a batch holds thousands of elements
     * while their hashes are looked up, and as strings they would cost the garbage collector far more).
     */
    readonly json: Buffer,
    /**
     * element.user.user_id when it is a string, as received (any case, not checked); the last one when
     * keys repeat, as in the built value.
     */
    readonly userId: string | undefined,
    /** Some number in it does not fit a JS number (a LosslessNumber once built). */
    readonly hasLossless: boolean,
    /** Some value in it is nested deeper than maxElementDepth (the tooDeep marker once built). */
    readonly hasTooDeep: boolean,
    /**
     * Reasons to reject it that its built value cannot show (a key repeated in one object, bytes that
     * were not UTF-8 and are U+FFFD in the text); undefined when there are none.
     */
    readonly problems?: readonly string[],
  ) {}

  /**
   * Compact JSON of the element: keys in the order received, strings as JSON.stringify writes them,
   * numbers as received (as a JS number prints them, or else kept as LosslessNumber text). That is
   * `stringifyJson(build().value, hasLossless)`, so hashes of either
   * agree (stored hashes stay valid), except where stringifyJson follows the object rather than the
   * text: integer-like keys (V8 puts them first), repeated keys (one remains) and values nested too deep
   * (omitted, or null in arrays), all of which the text keeps as received.
   */
  get text(): string {
    return this.json.toString("utf8");
  }

  /**
   * The element as a JS value, exactly as the export reader builds it from the tokens (LosslessNumber,
   * the tooDeep marker). Built anew on each call: with JSON.parse when no number or depth needs more.
   * The rebuilt value follows the text: the same JSON either way.
   */
  build(): BuiltValue {
    const text = this.text;
    if (this.hasLossless || this.hasTooDeep) return buildJsonValue(text, maxElementDepth);
    return { value: JSON.parse(text) as unknown, hasLossless: false, hasTooDeep: false };
  }
}
