import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** How one child process went: wall time from spawn to exit, and its peak RSS. */
export interface ChildMeasurement {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Spawn to exit (ms), node start-up included. */
  readonly wallMs: number;
  /** Peak resident set size of the child (bytes), from getrusage at exit. */
  readonly peakRssBytes: number;
  /** User + system CPU time of the child (ms); NaN when unknown. */
  readonly cpuMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildSpec {
  /** Script to run with this node (absolute path). */
  readonly script: string;
  readonly args: readonly string[];
  /** The child's whole environment besides PATH. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** When set, `--cpu-prof` into this folder. */
  readonly cpuProfileDir?: string | undefined;
  /** Prefix of the CPU profile's file name. */
  readonly label: string;
  /** Aborting kills the child (SIGTERM) and rejects. */
  readonly signal?: AbortSignal | undefined;
}

const preloadUrl = pathToFileURL(join(import.meta.dirname, "report-peak-rss.js")).href;

/**
 * Runs one node script as a real child process (stdout/stderr collected, nothing inherited) and measures
 * it from the outside: wall time here, peak RSS reported by a preloaded module as the child exits.
 */
export async function measureChild(spec: ChildSpec): Promise<ChildMeasurement> {
  const dir = await mkdtemp(join(tmpdir(), "zephr-bench-rss-"));
  const rssFile = join(dir, "rss.json");
  const profiling =
    spec.cpuProfileDir === undefined
      ? []
      : ["--cpu-prof", "--cpu-prof-dir", spec.cpuProfileDir, "--cpu-prof-name", `${spec.label}.cpuprofile`];
  try {
    const startedAt = performance.now();
    const result = await new Promise<Omit<ChildMeasurement, "peakRssBytes" | "cpuMs">>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--import", preloadUrl, ...profiling, spec.script, ...spec.args],
        {
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...spec.env, ZEPHR_BENCH_RSS_FILE: rssFile },
          stdio: ["ignore", "pipe", "pipe"],
          timeout: spec.timeoutMs,
          ...(spec.signal === undefined ? {} : { signal: spec.signal }),
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
      child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        resolve({ code, signal, stdout, stderr, wallMs: performance.now() - startedAt });
      });
    });
    return { ...result, ...(await readUsage(rssFile)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readUsage(file: string): Promise<{ peakRssBytes: number; cpuMs: number }> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as {
      maxRssKiB?: unknown;
      userCpuUs?: unknown;
      systemCpuUs?: unknown;
    };
    const { maxRssKiB, userCpuUs, systemCpuUs } = parsed;
    return {
      peakRssBytes: typeof maxRssKiB === "number" ? maxRssKiB * 1024 : Number.NaN,
      cpuMs:
        typeof userCpuUs === "number" && typeof systemCpuUs === "number"
          ? (userCpuUs + systemCpuUs) / 1000
          : Number.NaN,
    };
  } catch {
    // The child died before its exit hook ran (killed): no figures.
    return { peakRssBytes: Number.NaN, cpuMs: Number.NaN };
  }
}

/** Throws with the child's output when it did not exit 0. */
export function requireSuccess(what: string, measured: ChildMeasurement): void {
  if (measured.code === 0) return;
  const how = measured.signal === null ? `exited ${measured.code}` : `was killed by ${measured.signal}`;
  throw new Error(
    `${what} ${how} after ${(measured.wallMs / 1000).toFixed(1)}s.\n` +
      `stdout:\n${measured.stdout.slice(-4000)}\nstderr:\n${measured.stderr.slice(-4000)}`,
  );
}
