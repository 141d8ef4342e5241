#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { runCli } from "./commands/run-cli.js";

// A sync allocates mostly short-lived garbage around a small live set (the batches in flight and the
// one being filled); by default V8 lets the heap grow to about four times the live set before
// collecting it. Letting it at most double keeps the peak RSS flat whatever the export size, for a few
// more, quick, collections (docs/benchmarks.md: 1.5 cost the unchanged run a fifth more CPU, 2 almost
// nothing). The flag is read at every heap-limit decision, so setting it here works.
setFlagsFromString("--heap-growing-percent=100");

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
