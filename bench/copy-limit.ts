import { createReadStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { copySchema, copyTables } from "./copy-rows.js";

/**
 * The copy limit, run as a child process: (re)creates schema zephr_bench_copy with the warehouse's three
 * tables holding only their primary keys, then loads the files write-copy-files.ts prepared with plain
 * `COPY … FROM STDIN` (text format), one table after the other on one connection. Only the COPYs are
 * timed. Prints one JSON line: elapsedMs and rows per table.
 *
 *   node dist/bench/copy-limit.js --dir DIR   (env: DATABASE_URL)
 */

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: "string" } } });
  const dir = values.dir;
  const databaseUrl = process.env.DATABASE_URL;
  if (dir === undefined || databaseUrl === undefined)
    throw new Error("copy-limit needs --dir and DATABASE_URL");
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "zephr-sync bench copy" });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${copySchema} cascade`);
    await client.query(`create schema ${copySchema}`);
    for (const table of copyTables) await client.query(table.create);

    const tables: { name: string; rows: number; elapsedMs: number }[] = [];
    const startedAt = performance.now();
    for (const table of copyTables) {
      const tableStartedAt = performance.now();
      const copy = client.query(
        copyFrom(`copy ${copySchema}.${table.name} (${table.columns.join(", ")}) from stdin`),
      );
      await pipeline(createReadStream(join(dir, table.file), { highWaterMark: 1 << 20 }), copy);
      tables.push({ name: table.name, rows: copy.rowCount, elapsedMs: performance.now() - tableStartedAt });
    }
    const elapsedMs = performance.now() - startedAt;
    process.stdout.write(JSON.stringify({ elapsedMs, tables }) + "\n");
  } finally {
    await client.end();
  }
}

await main();
