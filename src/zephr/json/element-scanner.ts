import { isLosslessNumberText } from "../../json/lossless-number.js";
import { JsonBytesWriter } from "./json-bytes-writer.js";
import type { JsonToken } from "./json-value-builder.js";
import { locateJsonEnd } from "./locate-json-end.js";
import { ScannedElement } from "./scanned-element.js";
import type { InvalidUtf8 } from "./utf8-chunk-decoder.js";

const comma = 0x2c;
const colon = 0x3a;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
/** Keys an object may have before repeats are looked for in a set rather than by a linear search. */
const manyKeys = 32;

/**
 * Writes one element's compact JSON from its tokens as they stream by, and builds nothing: the text is
 * what `stringifyJson` would make of the built value (see ScannedElement.text), so a hash of it matches
 * hashes of built values. Also notes element.user.user_id, lossless numbers, too-deep nesting, and what
 * the built value could not show: a key repeated in one object (JSON.parse keeps the last) and bytes
 * that were not UTF-8 (U+FFFD in the text). This is the export's hot loop (about 75 tokens per
 * element): each token's bytes go straight into the writer's slab; per element, only the
 * ScannedElement and its view of the slab are allocated.
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
  /**
   * Keys of each object open, by depth (index depth - 1; arrays leave theirs unused), reused from one
   * element to the next so that looking for a repeated key allocates nothing.
   */
  private readonly keysAt: string[][] = [];
  /** For each object open (as keysAt): a bit set per key (checkRepeated). */
  private readonly keyBitsAt: number[] = [];
  /** For an object with more than `manyKeys` keys: all of them. */
  private readonly keySetsAt: (Set<string> | undefined)[] = [];
  /** What the built value cannot show, as reasons to reject the element (usually none). */
  private problems: string[] | undefined;
  /** Runs of bytes that were not UTF-8 in the element, and the reason naming the first. */
  private invalidUtf8Runs = 0;
  private invalidUtf8Reason = "";

  constructor(private readonly maxDepth: number) {}

  /**
   * Bytes that were not UTF-8 lie in the token that comes next (a string: elsewhere the JSON itself is
   * invalid); they belong to the element in progress or, between elements, to the next one.
   */
  noteInvalidUtf8(invalid: InvalidUtf8): void {
    this.invalidUtf8Runs += 1;
    if (this.invalidUtf8Runs > 1) return; // one reason per element, with the count (finish)
    const end = locateJsonEnd(this.writer.pending().toString("utf8"));
    const where = end.atKey ? `a key in ${end.path}` : end.path;
    this.invalidUtf8Reason = `${where} has bytes that are not valid UTF-8 (${invalid.hex} at byte ${invalid.offset} of the page`;
  }

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
    else if (bracket === openBrace) {
      this.keysOf(this.depth).length = 0;
      this.keyBitsAt[this.depth - 1] = 0;
      this.keySetsAt[this.depth - 1] = undefined;
    }
  }

  private keysOf(depth: number): string[] {
    let keys = this.keysAt[depth - 1];
    if (keys === undefined) {
      keys = [];
      this.keysAt[depth - 1] = keys;
    }
    return keys;
  }

  private close(bracket: number): ScannedElement | undefined {
    this.writer.byte(bracket);
    this.depth -= 1;
    this.afterValue = true;
    return this.depth === 0 ? this.finish() : undefined;
  }

  private key(key: string): void {
    if (this.depth <= this.maxDepth) this.checkRepeated(key);
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

  /** Notes a key the object in progress has had already (by a linear search: objects have few keys). */
  private checkRepeated(key: string): void {
    const keys = this.keysOf(this.depth);
    let repeated: boolean;
    if (keys.length < manyKeys) {
      // A bit per key's length and last character: most keys are told apart without comparing strings.
      const bit = 1 << ((key.length * 7 + key.charCodeAt(key.length - 1)) & 31);
      const seen = this.keyBitsAt[this.depth - 1] ?? 0;
      repeated = (seen & bit) !== 0 && keys.includes(key);
      this.keyBitsAt[this.depth - 1] = seen | bit;
      keys.push(key);
    } else {
      // Thousands of attributes: a set from here on (keys stops growing).
      let set = this.keySetsAt[this.depth - 1];
      if (set === undefined) {
        set = new Set(keys);
        this.keySetsAt[this.depth - 1] = set;
      }
      repeated = set.has(key);
      set.add(key);
    }
    if (repeated) {
      const { container } = locateJsonEnd(this.writer.pending().toString("utf8"));
      this.addProblem(`${container} has the key ${JSON.stringify(key)} more than once`);
    }
  }

  private addProblem(reason: string): void {
    (this.problems ??= []).push(reason);
  }

  /** user_id's value: a string, or something else (which is no id), the last one counting. */
  private takeUserId(id: string | undefined): void {
    // A copy: token strings are views into the tokenizer's whole buffer (V8 slices), which an id kept
    // in a batch would keep alive.
    this.userId = id === undefined ? undefined : (" " + id).slice(1);
    this.atUserId = false;
  }

  /** As stringifyJson writes the built number: the text, which a number prints back or a LosslessNumber keeps. */
  private number(text: string): string {
    // Like hasLossless of the built value, which has no numbers from where it was nested too deep.
    if (this.depth <= this.maxDepth && isLosslessNumberText(text)) this.lossless = true;
    return text;
  }

  private finish(): ScannedElement {
    if (this.invalidUtf8Runs > 0) {
      const more = this.invalidUtf8Runs - 1;
      const others = more === 0 ? "" : `, and ${more} more run${more === 1 ? "" : "s"} of such bytes`;
      (this.problems ??= []).unshift(`${this.invalidUtf8Reason}${others})`);
    }
    const element = new ScannedElement(
      this.writer.finish(),
      this.userId,
      this.lossless,
      this.tooDeep,
      this.problems,
    );
    this.problems = undefined;
    this.invalidUtf8Runs = 0;
    this.afterValue = false;
    this.topKey = "";
    this.userId = undefined;
    this.lossless = false;
    this.tooDeep = false;
    return element;
  }
}
