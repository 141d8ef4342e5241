import { finished } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import type { PoolClient } from "./pool.js";

/** Runs a `copy … from stdin` statement (a constant of src/db) with the given COPY text; returns the rows copied. */
export async function copyFromText(client: PoolClient, sql: string, text: string): Promise<number> {
  if (text.length === 0) return 0;
  const statement = copyFrom(sql);
  const stream = client.query(statement);
  stream.end(text);
  await finished(stream);
  return stream.rowCount;
}
