import { SyncError, describeError } from "../../errors.js";
import { ElementScanner } from "./element-scanner.js";
import { JsonTokenizer } from "./json-tokenizer.js";
import { JsonValueBuilder, type JsonToken } from "./json-value-builder.js";
import { maxElementDepth } from "./max-element-depth.js";
import type { ScannedElement } from "./scanned-element.js";
import { Utf8ChunkDecoder, type DecodedChunk } from "./utf8-chunk-decoder.js";

/** `links.next` as the envelope gave it: a URL (absolute or relative), a page number, or both. */
export interface NextLink {
  readonly url: string | undefined;
  readonly page: number | undefined;
}

/** What the envelope said about paging, known once the body has been read. */
export interface EnvelopeSummary {
  /** `array`: a bare JSON array; `object`: `{"results": [...], "meta": ..., "links": ...}`. */
  readonly kind: "array" | "object";
  /** Object envelope only: whether a `links` object was present. */
  readonly hasLinks: boolean;
  /** Object envelope only: whether a `meta` object was present. */
  readonly hasMeta: boolean;
  /**
   * Object envelope only: `links.next` when present and not null (a string is its URL; an object gives
   * `url` and/or `page`; anything else counts as a next page without a usable address).
   */
  readonly next: NextLink | undefined;
  /** Object envelope only: `links.last.page`, when a positive integer. */
  readonly lastPage: number | undefined;
  /** Object envelope only: `meta.paginated`, when it was a boolean. */
  readonly paginated: boolean | undefined;
  /** Object envelope only: `meta.count` when a non-negative integer (the export's total, or this page's). */
  readonly totalCount: number | undefined;
  /** Object envelope only: `meta.rpp` when a positive integer: the page size the server used. */
  readonly pageSize: number | undefined;
}

type State =
  | "start" // before the first token
  | "array" // inside the bare array (or inside results), between elements
  | "objectKey" // at depth 1 of the object envelope, expecting a key or the end
  | "objectValue" // after a key at depth 1, expecting its value
  | "element" // scanning an element
  | "sideValue" // building meta or links
  | "skipValue" // skipping an unknown top-level value
  | "done";

/**
 * Turns the text of one export page into its elements, one chunk at a time, without holding the page:
 * a token-level state machine over stream-json's parser that accepts a bare array, the `results`
 * envelope, and `results` nested as arrays of arrays (flattened). Elements come out scanned (their JSON
 * text; the value is built on demand), scalars included: validating them is the caller's job. `meta`
 * and `links` are small and built as they come.
 */
export class ExportBodyParser {
  private readonly tokenizer = new JsonTokenizer();
  private readonly decoder = new Utf8ChunkDecoder();
  private state: State = "start";
  private kind: "array" | "object" | undefined;
  /** Depth of nested arrays we are flattening inside the bare array or `results` (1 = the list itself). */
  private listDepth = 0;
  private currentKey: string | null = null;
  private readonly scanner = new ElementScanner(maxElementDepth);
  private sideBuilder = new JsonValueBuilder(maxElementDepth);
  private skipDepth = 0;
  private sawResults = false;
  private links: unknown;
  private meta: unknown;
  private errorMessage: string | undefined;
  private atStart = true;
  bytes = 0;

  /** Feeds a chunk of the body; returns the elements completed by it. */
  write(chunk: Buffer): ScannedElement[] {
    this.bytes += chunk.length;
    return this.feedDecoded(this.decoder.write(chunk));
  }

  /**
   * Feeds decoded text; where bytes were not UTF-8, the text before them first, so that the state
   * machine knows whose they are: an element's (rejected with the path) or the envelope's (fatal).
   */
  private feedDecoded({ text, invalid }: DecodedChunk, last = false): ScannedElement[] {
    let from = 0;
    if (this.atStart && text.length > 0) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) from = 1;
    }
    if (invalid.length === 0) return this.feed(from === 0 ? text : text.slice(from), last);
    const out: ScannedElement[] = [];
    for (const run of invalid) {
      if (run.at > from) out.push(...this.feed(text.slice(from, run.at)));
      from = Math.max(from, run.at);
      this.noteInvalidUtf8(run);
    }
    out.push(...this.feed(text.slice(from), last));
    return out;
  }

  private noteInvalidUtf8(run: DecodedChunk["invalid"][number]): void {
    // Between elements, the bytes are in the string that comes next: a scalar element.
    if (this.state === "element" || this.state === "array") {
      this.scanner.noteInvalidUtf8(run);
      return;
    }
    throw new SyncError(
      "EXPORT_MALFORMED",
      `The export body has bytes that are not valid UTF-8 outside any element (${run.hex} at byte ` +
        `${run.offset}): Zephr must send the export as UTF-8 JSON.`,
    );
  }

  /** Ends the body; throws EXPORT_MALFORMED when it was not one complete export document. */
  end(): { readonly elements: ScannedElement[]; readonly summary: EnvelopeSummary } {
    if (this.state === "start" && this.bytes === 0) {
      throw new SyncError(
        "EXPORT_MALFORMED",
        "Zephr answered with an empty body instead of the export JSON.",
      );
    }
    const elements = this.feedDecoded(this.decoder.end(), true);
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
    const last = isRecord(links?.last) ? links.last : undefined;
    return {
      kind,
      hasLinks: links !== undefined,
      hasMeta: meta !== undefined,
      next: readNextLink(links?.next),
      lastPage: positiveInteger(last?.page),
      paginated: typeof meta?.paginated === "boolean" ? meta.paginated : undefined,
      totalCount: meta?.count === 0 ? 0 : positiveInteger(meta?.count),
      pageSize: positiveInteger(meta?.rpp),
    };
  }

  private feed(text: string, last = false): ScannedElement[] {
    const out: ScannedElement[] = [];
    try {
      this.take(this.tokenizer.write(text), out);
      if (last) this.take(this.tokenizer.end(), out);
    } catch (error) {
      if (error instanceof SyncError) throw error;
      throw new SyncError("EXPORT_MALFORMED", `The export body is not valid JSON: ${describeError(error)}.`, {
        cause: error,
      });
    }
    return out;
  }

  private take(tokens: readonly JsonToken[], out: ScannedElement[]): void {
    for (const token of tokens) {
      // Nearly every token is inside an element: straight to the scanner (the hot loop).
      if (this.state === "element") this.scan(token, out);
      else this.step(token, out);
    }
  }

  private scan(token: JsonToken, out: ScannedElement[]): void {
    const element = this.scanner.consume(token);
    if (element !== undefined) {
      out.push(element);
      this.state = "array";
    }
  }

  private step(token: JsonToken, out: ScannedElement[]): void {
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
      case "element":
        this.scan(token, out);
        return;
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
        const built = this.sideBuilder.consume(token);
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

  private stepInList(token: JsonToken, out: ScannedElement[]): void {
    if (token.name === "startArray") {
      this.listDepth += 1; // results nested as arrays of arrays: flatten
      return;
    }
    if (token.name === "endArray") {
      this.listDepth -= 1;
      if (this.listDepth === 0) this.state = this.kind === "array" ? "done" : "objectKey";
      return;
    }
    const element = this.scanner.consume(token);
    if (element !== undefined) out.push(element);
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
      this.sideBuilder = new JsonValueBuilder(maxElementDepth);
      const built = this.sideBuilder.consume(token);
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
    this.sideBuilder = new JsonValueBuilder(maxElementDepth);
    this.state = "objectKey";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function readNextLink(next: unknown): NextLink | undefined {
  if (next === undefined || next === null) return undefined;
  if (typeof next === "string") return next === "" ? undefined : { url: next, page: undefined };
  if (isRecord(next)) {
    return {
      url: typeof next.url === "string" && next.url !== "" ? next.url : undefined,
      page: positiveInteger(next.page),
    };
  }
  return { url: undefined, page: positiveInteger(next) };
}
