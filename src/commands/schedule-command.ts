import { setTimeout as sleep } from "node:timers/promises";
// The one import of jobs/ under src/: the CLI is the composition root that hands the job definitions to
// the scheduler engine (src/schedule), which knows nothing of which jobs exist.
import { listJobs } from "../../jobs/index.js";
import { loadScheduleConfig } from "../config.js";
import { findLastSuccessFinishedAt } from "../db/schedule-last-success.js";
import { pingDatabase } from "../db/schedule-ping.js";
import { createLogger } from "../logger.js";
import { createSyncMetrics } from "../metrics/sync-metrics.js";
import { startMetricsServer, type MetricsServer } from "../metrics/start-metrics-server.js";
import { createScheduler } from "../schedule/create-scheduler.js";
import { startCronTriggers, type CronTriggers } from "../schedule/start-cron-triggers.js";
import { checkTenant } from "../sync/run/check-tenant.js";
import { runSync } from "../sync/run/run-sync.js";
import { exitCodes, type CommandContext, type ExitCode } from "./command-context.js";
import { applyMigrations, openPool } from "./open-database.js";
import { listenForShutdownSignals } from "./shutdown-signals.js";

/**
 * `zephr-sync schedule`: the long-lived scheduler. Applies migrations, refuses a database that mirrors
 * another tenant, serves /healthz and /metrics on METRICS_HOST when METRICS_PORT is set, schedules every
 * job of jobs/, runs overdue jobs once at start (catch-up), and on SIGTERM/SIGINT cancels the current
 * run, waits for it (up to SHUTDOWN_TIMEOUT) and exits 0.
 */
export async function scheduleCommand(context: CommandContext): Promise<ExitCode> {
  const config = loadScheduleConfig(context.env);
  const logger = createLogger(config.logLevel, context.stderr);
  const jobs = listJobs(config);
  const shutdown = listenForShutdownSignals({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    timeoutExitCode: exitCodes.runFailed,
  });
  const pool = openPool(config, logger);
  let server: MetricsServer | undefined;
  let triggers: CronTriggers | undefined;
  try {
    const migrations = await applyMigrations(pool, config, logger);
    if (migrations.applied.length > 0) logger.info({ applied: migrations.applied }, "applied migrations");
    // A database that mirrors another tenant would fail every tick: refused now (TENANT_MISMATCH, exit 2),
    // with the message a run gives. Binding a new warehouse is left to its first run.
    await checkTenant(pool, config.zephr.baseUrl, logger, { record: false });
    const metrics = createSyncMetrics();
    metrics.setLastSuccessAt(await findLastSuccessFinishedAt(pool, ["incremental", "full"]));
    const scheduler = createScheduler(
      {
        pool,
        logger,
        now: Date.now,
        signal: shutdown.signal,
        metrics,
        sync: (request, signal) =>
          runSync(
            { config, pool, logger, now: Date.now, sleep: (ms) => sleep(ms, undefined, { signal }), signal },
            request,
          ),
      },
      jobs,
    );
    if (config.metricsPort !== undefined) {
      server = await startMetricsServer({
        host: config.metricsHost,
        port: config.metricsPort,
        metrics,
        pingDatabase: () => pingDatabase(pool),
        logger,
      });
    }
    if (shutdown.signal.aborted) return exitCodes.ok;
    triggers = await startCronTriggers(scheduler, logger);
    logger.info({ jobs: jobs.map((job) => job.name) }, "scheduler started");
    const catchingUp = scheduler.catchUp();
    const signal = await shutdown.received;
    logger.info({ signal }, "stopping the scheduler: no new runs");
    await triggers.stop();
    const running = scheduler.running;
    if (running !== undefined) logger.info({ job: running.job }, "waiting for the current run to stop");
    await catchingUp;
    await scheduler.whenIdle();
    logger.info("scheduler stopped");
    return exitCodes.ok;
  } finally {
    await triggers?.stop();
    await server?.close();
    await pool.end();
    shutdown.dispose();
  }
}
