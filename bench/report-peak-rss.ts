import { writeFileSync } from "node:fs";

/**
 * Preloaded (`node --import`) into every child the bench measures: when the process exits, writes its
 * peak resident set size (KiB) and CPU time (µs), from getrusage, to the file named by ZEPHR_BENCH_RSS_FILE.
 * The child's own stdout and stderr stay untouched.
 */
const target = process.env.ZEPHR_BENCH_RSS_FILE;
if (target !== undefined && target !== "") {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    writeFileSync(
      target,
      JSON.stringify({
        maxRssKiB: usage.maxRSS,
        userCpuUs: usage.userCPUTime,
        systemCpuUs: usage.systemCPUTime,
      }),
    );
  });
}
