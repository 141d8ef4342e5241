import { StringDecoder } from "node:string_decoder";
import { jsonParser } from "stream-json/core/parser.js";
import { getManyValues, isMany, none } from "stream-chain/core";
import { SyncError, describeError } from "../errors.js";
import { JsonValueBuilder, type BuiltValue, type JsonToken } from "./json-value-builder.js";

/** How deep an element may nest before it is rejected (Zephr's elements need about 5 levels). */
export const maxElementDepth = 64;

/** What the envelope said about paging, known once the body has been read. */
export interface EnvelopeSummary {
  /** `array`: a bare JSON array; `object`: `{"results": [...], "meta": ..., "links": ...}`. */
  readonly kind: "array" | "object";
  /** Object envelope only: whether a `links` object was present. */
  readonly hasLinks: boolean;
  /** Object envelope only: whether `links.next` was present and not null. */
  readonly hasNext: boolean;
  /** Object envelope only: `meta.paginated`, when it was a boolean. */
  readonly paginated: boolean | undefined;
  /** Object envelope only: `meta.count` (we read it as the export's total; Zephr does not say), if a number. */
  readonly totalCount: number | undefined;
}

type State =
  | "start" // before the first token
  | "array" // inside the bare array (or inside results), between elements
  | "objectKey" // at depth 1 of the object envelope, expecting a key or the end
  | "objectValue" // after a key at depth 1, expecting its value
  | "element" // building an element
  | "sideValue" // building meta or links
  | "skipValue" // skipping an unknown top-level value
  | "done";

/**
 * Turns the text of one export page into its elements, one chunk at a time, without holding the page:
 * a token-level state machine over stream-json's parser that accepts a bare array, the `results`
 * envelope, and `results` nested as arrays of arrays (flattened). Elements come out as built JSON
 * values, scalars included: validating them is the caller's job.
 */
export class ExportBodyParser {
  // A stream-chain flushable: called with text per chunk, and with `none` once to flush the end.
  private readonly tokenize = jsonParser({ streamValues: false }) as (input: string | typeof none) => unknown;
  private readonly decoder = new StringDecoder("utf8");
  private state: State = "start";
  private kind: "array" | "object" | undefined;
  /** Depth of nested arrays we are flattening inside the bare array or `results` (1 = the list itself). */
  private listDepth = 0;
  private currentKey: string | null = null;
  private builder = new JsonValueBuilder(maxElementDepth);
  private skipDepth = 0;
  private sawResults = false;
  private links: unknown;
  private meta: unknown;
  private errorMessage: string | undefined;
  private atStart = true;
  bytes = 0;

  /** Feeds a chunk of the body; returns the elements completed by it. */
  write(chunk: Buffer): BuiltValue[] {
    this.bytes += chunk.length;
    let text = this.decoder.write(chunk);
    if (this.atStart && text.length > 0) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return this.feed(text);
  }

  /** Ends the body; throws EXPORT_MALFORMED when it was not one complete export document. */
  end(): { readonly elements: BuiltValue[]; readonly summary: EnvelopeSummary } {
    if (this.state === "start" && this.bytes === 0) {
      throw new SyncError(
        "EXPORT_MALFORMED",
        "Zephr answered with an empty body instead of the export JSON.",
      );
    }
    const elements = this.feed(this.decoder.end(), true);
    if (this.state === "start") {
      throw new SyncError(
        "EXPORT_MALFORMED",
        "Zephr answered with an empty body instead of the export JSON.",
      );
    }
    if (this.state !== "done" || this.kind === undefined) {
      throw new SyncError("EXPORT_MALFORMED", "The export body ended before the JSON document was complete.");
    }
    if (this.kind === "object" && !this.sawResults) {
      throw new SyncError(
        "EXPORT_MALFORMED",
        'Zephr answered with a JSON object that has no "results" list' +
          (this.errorMessage === undefined ? "." : `: ${JSON.stringify(this.errorMessage.slice(0, 500))}.`),
      );
    }
    return { elements, summary: this.summary(this.kind) };
  }

  private summary(kind: "array" | "object"): EnvelopeSummary {
    const links = isRecord(this.links) ? this.links : undefined;
    const meta = isRecord(this.meta) ? this.meta : undefined;
    return {
      kind,
      hasLinks: links !== undefined,
      hasNext: links?.next !== undefined && links.next !== null,
      paginated: typeof meta?.paginated === "boolean" ? meta.paginated : undefined,
      totalCount: typeof meta?.count === "number" && meta.count >= 0 ? meta.count : undefined,
    };
  }

  private feed(text: string, last = false): BuiltValue[] {
    const out: BuiltValue[] = [];
    let produced: unknown;
    try {
      if (text.length > 0) produced = this.tokenize(text);
      this.take(produced, out);
      if (last) this.take(this.tokenize(none), out);
    } catch (error) {
      if (error instanceof SyncError) throw error;
      throw new SyncError("EXPORT_MALFORMED", `The export body is not valid JSON: ${describeError(error)}.`, {
        cause: error,
      });
    }
    return out;
  }

  private take(produced: unknown, out: BuiltValue[]): void {
    if (produced === none || produced === undefined) return;
    const tokens = isMany(produced) ? (getManyValues(produced) as JsonToken[]) : [produced as JsonToken];
    for (const token of tokens) this.step(token, out);
  }

  private step(token: JsonToken, out: BuiltValue[]): void {
    switch (this.state) {
      case "start":
        if (token.name === "startArray") {
          this.kind = "array";
          this.state = "array";
          this.listDepth = 1;
        } else if (token.name === "startObject") {
          this.kind = "object";
          this.state = "objectKey";
        } else {
          throw new SyncError(
            "EXPORT_MALFORMED",
            "The export body is JSON but neither an array nor an object.",
          );
        }
        return;
      case "array":
        this.stepInList(token, out);
        return;
      case "element": {
        const built = this.builder.consume(token);
        if (built !== undefined) {
          out.push(built);
          this.state = "array";
        }
        return;
      }
      case "objectKey":
        if (token.name === "keyValue") {
          this.currentKey = token.value as string;
          this.state = "objectValue";
        } else if (token.name === "endObject") {
          this.state = "done";
        }
        return;
      case "objectValue":
        this.startObjectValue(token);
        return;
      case "sideValue": {
        const built = this.builder.consume(token);
        if (built !== undefined) this.storeSideValue(built.value);
        return;
      }
      case "skipValue":
        if (token.name === "startObject" || token.name === "startArray") this.skipDepth += 1;
        else if (token.name === "endObject" || token.name === "endArray") this.skipDepth -= 1;
        if (this.skipDepth === 0) this.state = "objectKey";
        return;
      case "done":
        // The tokenizer itself rejects trailing content; nothing else can arrive here.
        return;
    }
  }

  private stepInList(token: JsonToken, out: BuiltValue[]): void {
    if (token.name === "startArray") {
      this.listDepth += 1; // results nested as arrays of arrays: flatten
      return;
    }
    if (token.name === "endArray") {
      this.listDepth -= 1;
      if (this.listDepth === 0) this.state = this.kind === "array" ? "done" : "objectKey";
      return;
    }
    const built = this.builder.consume(token);
    if (built !== undefined) out.push(built);
    else this.state = "element";
  }

  private startObjectValue(token: JsonToken): void {
    const key = this.currentKey;
    if (key === "results") {
      if (token.name !== "startArray") {
        throw new SyncError("EXPORT_MALFORMED", 'The export envelope\'s "results" is not a list.');
      }
      this.sawResults = true;
      this.listDepth = 1;
      this.state = "array";
      return;
    }
    if (key === "links" || key === "meta") {
      this.state = "sideValue";
      this.builder = new JsonValueBuilder(maxElementDepth);
      const built = this.builder.consume(token);
      if (built !== undefined) this.storeSideValue(built.value);
      return;
    }
    if (token.name === "startObject" || token.name === "startArray") {
      this.skipDepth = 1;
      this.state = "skipValue";
      return;
    }
    if ((key === "message" || key === "error") && token.name === "stringValue") {
      this.errorMessage = token.value as string;
    }
    this.state = "objectKey";
  }

  private storeSideValue(value: unknown): void {
    if (this.currentKey === "links") this.links = value;
    else this.meta = value;
    this.builder = new JsonValueBuilder(maxElementDepth);
    this.state = "objectKey";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
