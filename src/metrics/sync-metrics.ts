import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SyncOutcome } from "../sync/run/run-sync.js";
import type { ScheduledRequest } from "../schedule/job-definition.js";
import { classifyOutcome, findOutcomeCounts } from "../schedule/classify-outcome.js";

/**
 * The scheduler's Prometheus metrics, on a registry of their own (never prom-client's global one, so two
 * schedulers in one process, as in tests, do not collide), plus the state /healthz reports.
 */
export interface SyncMetrics {
  readonly registry: Registry;
  /** When the latest successful incremental or full run finished, as far as this process knows. */
  readonly lastSuccessAt: Date | undefined;
  /** Whether a run started by this process is going. */
  readonly running: boolean;
  /** Seeds the last success (from zephr.sync_runs at start). */
  setLastSuccessAt(at: Date | undefined): void;
  recordRunStarted(): void;
  /**
   * Counts a tick's outcome. `kind` is the job's requested kind (an incremental job's first run, which
   * exports everyone, still counts as incremental). `durationMs` and `endedAtMs` come from the injected clock.
   */
  recordRunEnded(
    kind: ScheduledRequest["kind"],
    outcome: SyncOutcome,
    durationMs: number,
    endedAtMs: number,
  ): void;
}

/** Run durations span seconds (a quiet incremental) to hours (a full export of millions), in seconds. */
const durationBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400];

export function createSyncMetrics(): SyncMetrics {
  const registry = new Registry();
  const runsTotal = new Counter({
    name: "zephr_sync_runs_total",
    help: "Scheduled runs by how they ended (succeeded, failed, cancelled; locked = skipped, another process held the run lock) and requested kind.",
    labelNames: ["status", "kind"] as const,
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: "zephr_sync_last_success_timestamp_seconds",
    help: "Unix time (seconds) the latest successful incremental or full run finished; 0 when none has.",
    registers: [registry],
  });
  const usersSynced = new Counter({
    name: "zephr_sync_users_synced_total",
    help: "Users inserted or changed by runs of this process (committed batches of failed runs included).",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "zephr_sync_run_duration_seconds",
    help: "Duration of runs that started (locked ticks excluded), in seconds.",
    labelNames: ["status", "kind"] as const,
    buckets: durationBuckets,
    registers: [registry],
  });
  const runningGauge = new Gauge({
    name: "zephr_sync_running",
    help: "1 while a run started by this process is going, else 0.",
    registers: [registry],
  });
  lastSuccess.set(0);
  runningGauge.set(0);

  let lastSuccessAt: Date | undefined;
  let running = false;
  const setLastSuccessAt = (at: Date | undefined): void => {
    lastSuccessAt = at;
    lastSuccess.set(at === undefined ? 0 : at.getTime() / 1000);
  };
  return {
    registry,
    get lastSuccessAt() {
      return lastSuccessAt;
    },
    get running() {
      return running;
    },
    setLastSuccessAt,
    recordRunStarted() {
      running = true;
      runningGauge.set(1);
    },
    recordRunEnded(kind, outcome, durationMs, endedAtMs) {
      running = false;
      runningGauge.set(0);
      const status = classifyOutcome(outcome);
      runsTotal.inc({ status, kind });
      if (status === "locked" || status === "dry-run") return;
      duration.observe({ status, kind }, durationMs / 1000);
      usersSynced.inc({ kind }, findOutcomeCounts(outcome)?.usersWritten ?? 0);
      if (status === "succeeded") setLastSuccessAt(new Date(endedAtMs));
    },
  };
}
