import { jsonParser } from "stream-json/core/parser.js";
import { getManyValues, isMany, none } from "stream-chain/core";
import type { JsonToken } from "./json-value-builder.js";

/**
 * stream-json's tokenizer as the export is read with it (`streamValues: false`: one packed token per
 * key, string and number), fed text a piece at a time. Throws stream-json's own errors on invalid JSON.
 */
export class JsonTokenizer {
  // A stream-chain flushable: called with text per piece, and with `none` once to flush the end.
  private readonly tokenize = jsonParser({ streamValues: false }) as (input: string | typeof none) => unknown;

  /** The tokens this piece of text completes. */
  write(text: string): readonly JsonToken[] {
    return text.length === 0 ? [] : tokensOf(this.tokenize(text));
  }

  /** The tokens left at the end; throws when the text was not one complete JSON document. */
  end(): readonly JsonToken[] {
    return tokensOf(this.tokenize(none));
  }
}

function tokensOf(produced: unknown): readonly JsonToken[] {
  if (produced === none || produced === undefined) return [];
  return isMany(produced) ? (getManyValues(produced) as JsonToken[]) : [produced as JsonToken];
}
