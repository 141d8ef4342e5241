import { describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Pool } from "../db/pool.js";
import { findLastSuccessFinishedAt } from "../db/schedule-last-success.js";
import { zeroCounts } from "../db/sync-runs.js";
import type { SyncMetrics } from "../metrics/sync-metrics.js";
import type { SyncOutcome } from "../sync/run/run-sync.js";
import { toSyncError } from "../sync/to-sync-error.js";
import { classifyOutcome, findOutcomeCounts, findOutcomeRunId } from "./classify-outcome.js";
import { createCronSchedule, type CronSchedule } from "./create-cron-schedule.js";
import { decideCatchUp, successKindsFor, type CatchUpDecision } from "./decide-catch-up.js";
import type { JobDefinition, ScheduledRequest } from "./job-definition.js";

export interface SchedulerDeps {
  /** For the catch-up decision (zephr.sync_runs). */
  readonly pool: Pool;
  readonly logger: Logger;
  /** ms since the epoch; injectable so tests control time. */
  readonly now: () => number;
  /** Starts one run: runSync with this signal in its deps (tests may pass a fake). */
  readonly sync: (request: ScheduledRequest, signal: AbortSignal) => Promise<SyncOutcome>;
  /** Aborted on shutdown: no tick starts a run after it, and the running one is cancelled. */
  readonly signal: AbortSignal;
  readonly metrics?: SyncMetrics;
}

/** Why a tick happened: its cron fired, or the start-up catch-up found the job overdue. */
export type TickTrigger = "schedule" | "catch-up";

export type TickResult =
  | { readonly status: "ran"; readonly outcome: SyncOutcome }
  /** busy: a run of this process was going; locked: another process held the run lock; stopping: shutdown. */
  | { readonly status: "skipped"; readonly reason: "busy" | "locked" | "stopping" };

export interface RunningJob {
  readonly job: string;
  readonly trigger: TickTrigger;
  readonly startedAtMs: number;
}

export interface Scheduler {
  readonly jobs: readonly JobDefinition[];
  /** The run this process has going, if any. */
  readonly running: RunningJob | undefined;
  /**
   * One tick of a job: starts its run unless one is going (in this process: skipped as busy; in another:
   * runSync answers locked, skipped too) or shutdown began. Never rejects: a failed run is logged and the
   * next tick runs as usual.
   */
  tick(jobName: string, trigger: TickTrigger): Promise<TickResult>;
  /** Reads the job's last success from the database and applies the catch-up rule (see decideCatchUp). */
  decideCatchUp(jobName: string): Promise<CatchUpDecision>;
  /**
   * At start: runs each overdue job once, one after the other, full jobs first (a full run also counts
   * for incremental jobs, which are then up to date). Never rejects.
   */
  catchUp(): Promise<void>;
  /** Resolves when no run of this process is going. */
  whenIdle(): Promise<void>;
}

/**
 * The scheduling engine, free of timers: ticks come from outside (startCronTriggers' node-cron clock in the
 * CLI, a test calling `tick` directly) and the clock is injected, so every decision can be tested without
 * waiting.
 */
export function createScheduler(deps: SchedulerDeps, jobs: readonly JobDefinition[]): Scheduler {
  const { logger } = deps;
  const crons = new Map<string, CronSchedule>(
    jobs.map((job) => [job.name, createCronSchedule(job.schedule, job.timezone)]),
  );
  let running: RunningJob | undefined;
  let idle: Promise<void> | undefined;
  let markIdle: () => void = () => undefined;

  const findJob = (name: string): JobDefinition => {
    const job = jobs.find((candidate) => candidate.name === name);
    if (job === undefined) throw new RangeError(`No job named ${JSON.stringify(name)}`);
    return job;
  };

  async function tick(jobName: string, trigger: TickTrigger): Promise<TickResult> {
    const job = findJob(jobName);
    const log = logger.child({ job: job.name, trigger });
    if (deps.signal.aborted) {
      log.info("tick ignored: shutting down");
      return { status: "skipped", reason: "stopping" };
    }
    if (running !== undefined) {
      log.warn(
        { runningJob: running.job, runningSince: new Date(running.startedAtMs).toISOString() },
        "tick skipped: a run started by this process is still going",
      );
      return { status: "skipped", reason: "busy" };
    }
    const startedAtMs = deps.now();
    running = { job: job.name, trigger, startedAtMs };
    idle = new Promise<void>((resolve) => {
      markIdle = resolve;
    });
    deps.metrics?.recordRunStarted();
    log.info({ request: job.request.kind }, "tick: starting a run");
    let outcome: SyncOutcome;
    try {
      outcome = await deps.sync(job.request, deps.signal);
    } catch (error) {
      // runSync reports failures as outcomes; anything thrown is a bug, still not a reason to stop ticking.
      outcome = {
        status: "failed",
        runId: undefined,
        error: toSyncError(error, "running a scheduled job", log),
        counts: zeroCounts,
      };
    }
    const endedAtMs = deps.now();
    deps.metrics?.recordRunEnded(job.request.kind, outcome, endedAtMs - startedAtMs, endedAtMs);
    running = undefined;
    idle = undefined;
    markIdle();
    return logOutcome(log, outcome, endedAtMs - startedAtMs, deps.signal.aborted);
  }

  async function decideJobCatchUp(jobName: string): Promise<CatchUpDecision> {
    const job = findJob(jobName);
    const cron = crons.get(job.name);
    if (cron === undefined) throw new RangeError(`No cron for job ${job.name}`);
    const lastSuccessAt = await findLastSuccessFinishedAt(deps.pool, successKindsFor(job.request));
    return decideCatchUp(cron, lastSuccessAt, deps.now());
  }

  async function catchUp(): Promise<void> {
    const ordered = [...jobs].sort(
      (a, b) => Number(b.request.kind === "full") - Number(a.request.kind === "full"),
    );
    for (const job of ordered) {
      if (deps.signal.aborted) return;
      const log = logger.child({ job: job.name, trigger: "catch-up" });
      let decision: CatchUpDecision;
      try {
        decision = await decideJobCatchUp(job.name);
      } catch (error) {
        log.error(
          { err: describeError(error) },
          "could not read the last successful run; no catch-up, the job waits for its next tick",
        );
        continue;
      }
      const facts = {
        lastSuccessAt: "lastSuccessAt" in decision ? decision.lastSuccessAt.toISOString() : null,
        previousFireAt: "previousFireAt" in decision ? decision.previousFireAt.toISOString() : undefined,
      };
      if (!decision.due) {
        log.info(facts, "catch-up not needed: the last success is newer than the previous scheduled time");
        continue;
      }
      log.info(
        facts,
        decision.reason === "never-succeeded"
          ? "catch-up: the job never succeeded; running it now"
          : "catch-up: the previous scheduled run was missed; running it now",
      );
      await tick(job.name, "catch-up");
    }
  }

  return {
    jobs,
    get running() {
      return running;
    },
    tick,
    decideCatchUp: decideJobCatchUp,
    catchUp,
    whenIdle: () => idle ?? Promise.resolve(),
  };
}

function logOutcome(
  log: Logger,
  outcome: SyncOutcome,
  durationMs: number,
  shuttingDown: boolean,
): TickResult {
  const runId = findOutcomeRunId(outcome);
  const counts = findOutcomeCounts(outcome);
  switch (classifyOutcome(outcome)) {
    case "locked":
      log.warn("tick skipped: another process holds the run lock on this database");
      return { status: "skipped", reason: "locked" };
    case "succeeded":
    case "dry-run":
      log.info({ runId, counts, durationMs }, "scheduled run succeeded");
      break;
    case "cancelled":
      log.warn({ runId, counts, durationMs }, "run cancelled by shutdown; the watermark is unchanged");
      break;
    case "failed": {
      const error = "error" in outcome ? outcome.error : undefined;
      log.error(
        { runId, counts, durationMs, code: error?.code, err: error?.message },
        shuttingDown
          ? "run ended by shutdown (reported as failed); the watermark is unchanged"
          : "scheduled run failed; the watermark is unchanged and the next tick runs as usual",
      );
      break;
    }
  }
  return { status: "ran", outcome };
}
