import { JsonTokenizer } from "./json-tokenizer.js";
import { JsonValueBuilder, type BuiltValue } from "./json-value-builder.js";

/**
 * Builds a JSON text the way the export is read (JsonValueBuilder over stream-json's tokens): integers
 * beyond 2^53 stay exact, values nested deeper than `maxDepth` become the `tooDeep` marker. Slower than
 * JSON.parse; for texts that need it. `text` must be one complete JSON value.
 */
export function buildJsonValue(text: string, maxDepth: number): BuiltValue {
  const tokenizer = new JsonTokenizer();
  const builder = new JsonValueBuilder(maxDepth);
  let built: BuiltValue | undefined;
  for (const token of tokenizer.write(text)) built ??= builder.consume(token);
  for (const token of tokenizer.end()) built ??= builder.consume(token);
  if (built === undefined) throw new Error("buildJsonValue: the text is not one complete JSON value");
  return built;
}
