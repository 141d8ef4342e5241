import { toJsonNumber, type LosslessNumber } from "../../json/lossless-number.js";

/** The packed tokens stream-json's parser emits with `streamValues: false`. */
export type JsonToken =
  | { readonly name: "startObject" | "endObject" | "startArray" | "endArray" }
  | { readonly name: "keyValue" | "stringValue" | "numberValue"; readonly value: string }
  | { readonly name: "nullValue"; readonly value: null }
  | { readonly name: "trueValue"; readonly value: true }
  | { readonly name: "falseValue"; readonly value: false }
  | { readonly name: string; readonly value?: unknown };

type Container = unknown[] | Record<string, unknown>;

/** Marks a value that was nested deeper than the builder accepts; its content was discarded. */
export const tooDeep: unique symbol = Symbol("tooDeep");

export interface BuiltValue {
  readonly value: unknown;
  /** True when some number in it is a LosslessNumber (lets serialization take the fast path otherwise). */
  readonly hasLossless: boolean;
  /** True when part of it was nested too deep and replaced by the `tooDeep` marker. */
  readonly hasTooDeep: boolean;
}

/**
 * Builds one JSON value from tokens, like JSON.parse: `__proto__` becomes an own property, the last of
 * duplicate keys wins. Unlike JSON.parse, integers beyond 2^53 are kept exactly (LosslessNumber), and
 * values nested deeper than `maxDepth` become `tooDeep` instead of risking stack overflows later.
 */
export class JsonValueBuilder {
  private readonly stack: Container[] = [];
  private readonly keys: (string | null)[] = [];
  private key: string | null = null;
  private depth = 0;
  private skippedDepth = 0;
  private lossless = false;
  private truncated = false;

  constructor(private readonly maxDepth: number) {}

  /** Feeds one token; returns the finished value once the value is complete, else undefined. */
  consume(token: JsonToken): BuiltValue | undefined {
    if (this.skippedDepth > 0) return this.skip(token);
    switch (token.name) {
      case "startObject":
        return this.open({});
      case "startArray":
        return this.open([]);
      case "endObject":
      case "endArray":
        return this.close();
      case "keyValue":
        this.key = token.value as string;
        return undefined;
      case "stringValue":
        return this.add(token.value);
      case "numberValue": {
        const number = toJsonNumber(token.value as string);
        if (typeof number !== "number") this.lossless = true;
        return this.add(number satisfies number | LosslessNumber);
      }
      case "nullValue":
        return this.add(null);
      case "trueValue":
        return this.add(true);
      case "falseValue":
        return this.add(false);
      default:
        return undefined;
    }
  }

  private open(container: Container): BuiltValue | undefined {
    if (this.depth >= this.maxDepth) {
      this.skippedDepth = 1;
      return undefined;
    }
    this.stack.push(container);
    this.keys.push(this.key);
    this.key = null;
    this.depth += 1;
    return undefined;
  }

  private close(): BuiltValue | undefined {
    const finished = this.stack.pop();
    this.key = this.keys.pop() ?? null;
    this.depth -= 1;
    return this.add(finished);
  }

  private skip(token: JsonToken): BuiltValue | undefined {
    if (token.name === "startObject" || token.name === "startArray") this.skippedDepth += 1;
    else if (token.name === "endObject" || token.name === "endArray") this.skippedDepth -= 1;
    if (this.skippedDepth > 0) return undefined;
    this.truncated = true;
    return this.add(tooDeep);
  }

  private add(value: unknown): BuiltValue | undefined {
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      const result = { value, hasLossless: this.lossless, hasTooDeep: this.truncated };
      this.lossless = false;
      this.truncated = false;
      return result;
    }
    if (Array.isArray(parent)) {
      parent.push(value);
    } else if (this.key === "__proto__") {
      Object.defineProperty(parent, "__proto__", {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (this.key !== null) {
      parent[this.key] = value;
    }
    return undefined;
  }
}
