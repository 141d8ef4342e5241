import pg from "pg";

export interface SqlCapture {
  /** The text of every statement sent through any pg.Client of this process since capture began. */
  readonly texts: string[];
  /** Puts pg.Client.prototype.query back. */
  restore(): void;
}

/**
 * Records the SQL text of every statement this process sends (pools included: their clients are
 * pg.Clients), so a test can show that nothing it fed the job ever became SQL text: values travel as
 * parameters, which this does not record.
 */
export function captureSqlTexts(): SqlCapture {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const texts: string[] = [];
  prototype.query = function (this: unknown, ...args: unknown[]): unknown {
    const [config] = args;
    const text =
      typeof config === "string"
        ? config
        : typeof config === "object" && config !== null && "text" in config
          ? String(config.text)
          : undefined;
    if (text !== undefined) texts.push(text);
    return original.apply(this, args);
  };
  return {
    texts,
    restore() {
      prototype.query = original;
    },
  };
}
