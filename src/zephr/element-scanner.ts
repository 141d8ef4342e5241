import { toJsonNumber } from "../json/lossless-number.js";
import { JsonBytesWriter } from "./json-bytes-writer.js";
import type { JsonToken } from "./json-value-builder.js";
import { ScannedElement } from "./scanned-element.js";

const comma = 0x2c;
const colon = 0x3a;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;

/**
 * Writes one element's compact JSON from its tokens as they stream by, and builds nothing: the text is
 * what `stringifyJson` would make of the built value (see ScannedElement.text), so a hash of it matches
 * hashes of built values. Also notes element.user.user_id, lossless numbers and too-deep nesting. This
 * is the export's hot loop (about 75 tokens per element): each token's bytes go straight into the
 * writer's slab; per element, only the ScannedElement and its view of the slab are allocated.
 */
export class ElementScanner {
  private readonly writer = new JsonBytesWriter();
  /** Containers open (0 between elements). */
  private depth = 0;
  /** A value (or container) was written at this level: the next one needs a comma first. */
  private afterValue = false;
  /** The last key of the element's own object (depth 1): what the depth-2 container belongs to. */
  private topKey = "";
  /** The next value is element.user.user_id. */
  private atUserId = false;
  private userId: string | undefined;
  private lossless = false;
  private tooDeep = false;

  constructor(private readonly maxDepth: number) {}

  /** Feeds one token; returns the element once its last token came, else undefined. */
  consume(token: JsonToken): ScannedElement | undefined {
    // Most frequent first: keys and strings are three tokens in four.
    switch (token.name) {
      case "keyValue":
        this.key(token.value as string);
        return undefined;
      case "stringValue":
        return this.string(token.value as string);
      case "startObject":
        this.open(openBrace);
        return undefined;
      case "endObject":
        return this.close(closeBrace);
      case "startArray":
        this.open(openBracket);
        return undefined;
      case "endArray":
        return this.close(closeBracket);
      case "numberValue":
        return this.scalar(this.number(token.value as string));
      case "nullValue":
        return this.scalar("null");
      case "trueValue":
        return this.scalar("true");
      case "falseValue":
        return this.scalar("false");
      default:
        return undefined;
    }
  }

  private open(bracket: number): void {
    if (this.atUserId) this.takeUserId(undefined);
    if (this.afterValue) this.writer.byte(comma);
    this.writer.byte(bracket);
    this.afterValue = false;
    this.depth += 1;
    // Same bound as JsonValueBuilder: container number maxDepth + 1 from the element's root is too deep.
    if (this.depth > this.maxDepth) this.tooDeep = true;
  }

  private close(bracket: number): ScannedElement | undefined {
    this.writer.byte(bracket);
    this.depth -= 1;
    this.afterValue = true;
    return this.depth === 0 ? this.finish() : undefined;
  }

  private key(key: string): void {
    // Keys only come inside objects: depth 1 is the element's own object, depth 2 the value of topKey.
    if (this.depth === 1) {
      this.topKey = key;
      if (key === "user") this.userId = undefined; // a repeated "user" replaces the earlier one
    } else if (this.depth === 2 && key === "user_id" && this.topKey === "user") {
      this.atUserId = true;
    }
    if (this.afterValue) this.writer.byte(comma);
    this.writer.string(key);
    this.writer.byte(colon);
    this.afterValue = false;
  }

  private string(value: string): ScannedElement | undefined {
    if (this.atUserId) this.takeUserId(value);
    if (this.afterValue) this.writer.byte(comma);
    this.writer.string(value);
    this.afterValue = true;
    return this.depth === 0 ? this.finish() : undefined;
  }

  /** A number or literal, as ASCII JSON. */
  private scalar(json: string): ScannedElement | undefined {
    if (this.atUserId) this.takeUserId(undefined);
    if (this.afterValue) this.writer.byte(comma);
    this.writer.ascii(json);
    this.afterValue = true;
    return this.depth === 0 ? this.finish() : undefined;
  }

  /** user_id's value: a string, or something else (which is no id), the last one counting. */
  private takeUserId(id: string | undefined): void {
    // A copy: token strings are views into the tokenizer's whole buffer (V8 slices), which an id kept
    // in a batch would keep alive.
    this.userId = id === undefined ? undefined : (" " + id).slice(1);
    this.atUserId = false;
  }

  /** As stringifyJson writes the built number: String(number), or the text of a LosslessNumber. */
  private number(text: string): string {
    const value = toJsonNumber(text);
    if (typeof value === "number") return String(value);
    // Like hasLossless of the built value, which has no numbers from where it was nested too deep.
    if (this.depth <= this.maxDepth) this.lossless = true;
    return value.text;
  }

  private finish(): ScannedElement {
    const element = new ScannedElement(this.writer.finish(), this.userId, this.lossless, this.tooDeep);
    this.afterValue = false;
    this.topKey = "";
    this.userId = undefined;
    this.lossless = false;
    this.tooDeep = false;
    return element;
  }
}
