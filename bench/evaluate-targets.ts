import type { BenchResult, PhaseName, PhaseResult } from "./bench-result.js";
import { expectedRowsWritten } from "./apply-incremental-changes.js";
import { totalTuples } from "./table-stats.js";

/** One of issue 5's targets, judged on one bench result. */
export interface TargetVerdict {
  readonly target: string;
  /** "n/a" when this run cannot judge it (e.g. the 1,000,000-user RSS limit on a smaller run). */
  readonly verdict: "PASS" | "FAIL" | "n/a";
  readonly measured: string;
}

export const megabyte = 1024 * 1024;

export function findPhase(result: BenchResult, name: PhaseName): PhaseResult {
  const phase = result.phases.find((p) => p.name === name);
  if (phase === undefined) throw new Error(`The bench result has no ${name} phase.`);
  return phase;
}

/** copy-limit time / fresh time: fresh throughput as a share of the copy limit's (same rows). */
export function copyToFreshRatio(result: BenchResult): number {
  return findPhase(result, "copy limit").elapsedMs / findPhase(result, "fresh").elapsedMs;
}

/** unchanged time / parse-limit time. */
export function unchangedToParseRatio(result: BenchResult): number {
  return findPhase(result, "unchanged").elapsedMs / findPhase(result, "parse limit").elapsedMs;
}

/** Highest peak RSS of the three sync runs (bytes). */
export function syncPeakRss(result: BenchResult): number {
  return Math.max(
    ...(["fresh", "unchanged", "incremental"] as const).map((n) => findPhase(result, n).peakRssBytes),
  );
}

function verdict(ok: boolean): "PASS" | "FAIL" {
  return ok ? "PASS" : "FAIL";
}

/** Judges every target; `baseline` is a result at 100,000 users for the RSS growth limit. */
export function evaluateTargets(result: BenchResult, baseline: BenchResult | undefined): TargetVerdict[] {
  const fresh = findPhase(result, "fresh");
  const copy = findPhase(result, "copy limit");
  const unchanged = findPhase(result, "unchanged");
  const incremental = findPhase(result, "incremental");
  const throughputRatio = fresh.rows / fresh.elapsedMs / (copy.rows / copy.elapsedMs);
  const parseRatio = unchangedToParseRatio(result);
  const unchangedTuples = unchanged.tuples === undefined ? Number.NaN : totalTuples(unchanged.tuples);
  const expected = expectedRowsWritten(result.changes);
  const run = incremental.run;
  const reported =
    run === undefined ? Number.NaN : run.usersWritten + run.attributesWritten + run.grantsWritten;
  const incrementalTuples = incremental.tuples === undefined ? Number.NaN : totalTuples(incremental.tuples);
  const peak = syncPeakRss(result);
  const verdicts: TargetVerdict[] = [
    {
      target: "fresh throughput >= 0.6 x copy limit",
      verdict: verdict(throughputRatio >= 0.6),
      measured: `${throughputRatio.toFixed(3)} x (${Math.round(fresh.rows / (fresh.elapsedMs / 1000))} vs ${Math.round(copy.rows / (copy.elapsedMs / 1000))} rows/s)`,
    },
    {
      target: "unchanged time <= 1.5 x parse limit",
      verdict: verdict(parseRatio <= 1.5),
      measured: `${parseRatio.toFixed(2)} x (${(unchanged.elapsedMs / 1000).toFixed(1)} s vs ${(findPhase(result, "parse limit").elapsedMs / 1000).toFixed(1)} s)`,
    },
    {
      target: "unchanged run: no tuple inserted/updated/deleted",
      verdict: verdict(unchangedTuples === 0 && (unchanged.run?.usersWritten ?? 1) === 0),
      measured: `${unchangedTuples} tuples; ${unchanged.run?.usersWritten ?? "?"} users written`,
    },
    {
      target: "unchanged run: no zephr.users row locked (page dirtied, WAL)",
      verdict: unchanged.usersRowsLocked === undefined ? "n/a" : verdict(unchanged.usersRowsLocked === 0),
      measured: `${unchanged.usersRowsLocked ?? "?"} rows locked by on conflict … where false`,
    },
    {
      target: "incremental writes only the changed users' rows",
      verdict: verdict(incremental.rowsWrittenForOthers === 0 && reported === incrementalTuples),
      measured:
        `${incremental.rowsWrittenForOthers ?? "?"} rows of other users written; ` +
        `${reported} rows reported = ${incrementalTuples} tuples moved (${expected} from the edits themselves)`,
    },
    {
      target: "peak RSS <= 200 MB at 1,000,000 users",
      verdict: result.users >= 1_000_000 ? verdict(peak <= 200 * megabyte) : "n/a",
      measured: `${(peak / megabyte).toFixed(1)} MB at ${result.users} users`,
    },
  ];
  if (baseline !== undefined) {
    const basePeak = syncPeakRss(baseline);
    const growth = peak / basePeak;
    verdicts.push({
      target: `peak RSS <= 1.25 x the peak at ${baseline.users} users`,
      verdict: result.users > baseline.users ? verdict(growth <= 1.25) : "n/a",
      measured: `${growth.toFixed(2)} x (${(peak / megabyte).toFixed(1)} vs ${(basePeak / megabyte).toFixed(1)} MB)`,
    });
  } else {
    verdicts.push({
      target: "peak RSS <= 1.25 x the peak at 100,000 users",
      verdict: "n/a",
      measured: "give --rss-baseline FILE (a --json result at 100000 users)",
    });
  }
  return verdicts;
}
