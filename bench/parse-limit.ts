import { StringDecoder } from "node:string_decoder";
import { parseArgs } from "node:util";
import { none } from "stream-chain/core";
import { jsonParser } from "stream-json/core/parser.js";
import { loadSyncConfig } from "../src/config.js";
import { buildExportQuery, userExportPath } from "../src/zephr/export/export-query.js";
import { createZephrAgent, openSignedGet } from "../src/zephr/http/open-export-page.js";

/**
 * The parse limit, run as a child process with the same environment as `zephr-sync run --full`: fetches
 * the same export pages over the same HTTP client and pushes every body through stream-json's tokenizer
 * exactly as the sync configures it (`streamValues: false`, UTF-8 decoded text), discarding the tokens.
 * No value is built, nothing validated, nothing written. Prints one JSON line: bytes, pages, elapsedMs.
 *
 *   node dist/bench/parse-limit.js --pages 400   (env: ZEPHR_BASE_URL, keys, ZEPHR_PAGE_SIZE, DATABASE_URL)
 */

type Tokenize = (input: string | typeof none) => unknown;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pages: { type: "string" } } });
  const pages = Number(values.pages);
  if (!Number.isInteger(pages) || pages < 1) throw new Error("parse-limit needs --pages N (N >= 1)");
  const config = loadSyncConfig(process.env);
  const agent = createZephrAgent(config.zephr.baseUrl, undefined);
  const startedAt = performance.now();
  let bytes = 0;
  let tokenBatches = 0;
  try {
    for (let page = 1; page <= pages; page++) {
      const query = buildExportQuery({
        window: {},
        pageSize: config.zephr.pageSize,
        page,
        instantPrecision: config.zephr.instantPrecision,
      });
      const opened = await openSignedGet(
        config.zephr,
        { agent, now: Date.now },
        userExportPath,
        query,
        undefined,
      );
      const tokenize = jsonParser({ streamValues: false }) as Tokenize;
      const decoder = new StringDecoder("utf8");
      for await (const chunk of opened.body) {
        bytes += chunk.length;
        // The result (tokens) is dropped on purpose; counting calls keeps the work observable.
        if (tokenize(decoder.write(chunk)) !== none) tokenBatches += 1;
      }
      const rest = decoder.end();
      if (rest.length > 0) tokenize(rest);
      tokenize(none);
    }
  } finally {
    agent.destroy();
  }
  const elapsedMs = performance.now() - startedAt;
  process.stdout.write(JSON.stringify({ bytes, pages, tokenBatches, elapsedMs }) + "\n");
}

await main();
