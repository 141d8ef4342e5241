import { createPool } from "../../src/db/pool.js";
import { pingDatabase } from "../../src/db/schedule-ping.js";
import { createLogger } from "../../src/logger.js";
import { createSyncMetrics, type SyncMetrics } from "../../src/metrics/sync-metrics.js";
import { startMetricsServer, type MetricsServer } from "../../src/metrics/start-metrics-server.js";
import { createScheduler, type Scheduler } from "../../src/schedule/create-scheduler.js";
import type { JobDefinition } from "../../src/schedule/job-definition.js";
import type { SyncOutcome } from "../../src/sync/run/run-sync.js";
import { startSyncFixture, type SyncFixture } from "../support/sync-fixture.js";

const nightly: JobDefinition = {
  name: "nightly-sync",
  schedule: "0 2 * * *",
  timezone: "UTC",
  request: { kind: "incremental" },
};

async function get(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

describe("/healthz and /metrics", () => {
  const logger = createLogger("silent");
  let fixture: SyncFixture;
  let metrics: SyncMetrics;
  let server: MetricsServer;
  let scheduler: Scheduler;
  /** Set by a test to hold its run open. */
  let gate: Promise<void> | undefined;

  beforeAll(async () => {
    fixture = await startSyncFixture({ users: { count: 120, seed: 23 } });
  });

  // Each test gets an empty warehouse, fresh metrics and its own server and scheduler.
  beforeEach(async () => {
    await fixture.reset();
    metrics = createSyncMetrics();
    server = await startMetricsServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      pingDatabase: () => pingDatabase(fixture.db.pool),
      logger,
    });
    scheduler = createScheduler(
      {
        pool: fixture.db.pool,
        logger,
        now: fixture.clock.now,
        signal: new AbortController().signal,
        metrics,
        // The run takes 2.5 s of the injected clock.
        sync: async (request, signal): Promise<SyncOutcome> => {
          await gate;
          const outcome = await fixture.run(request, undefined, signal);
          fixture.clock.advance(2500);
          return outcome;
        },
      },
      [nightly],
    );
  });

  afterEach(async () => {
    await server.close();
  });

  afterAll(async () => {
    await fixture.close();
  });

  /** One successful scheduled run, so that there is a last success to keep. */
  async function tickOnce(): Promise<void> {
    await scheduler.tick("nightly-sync", "schedule");
    expect(metrics.lastSuccessAt).not.toBeUndefined();
  }

  test("before any run, /healthz is ok with no last success and /metrics shows zeros", async () => {
    const health = await get(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.type).toMatch(/^application\/json/);
    expect(JSON.parse(health.body)).toEqual({ status: "ok", lastSuccessAt: null, running: false });
    const text = (await get(`${server.url}/metrics`)).body;
    expect(text).toContain("zephr_sync_running 0");
    expect(text).toContain("zephr_sync_last_success_timestamp_seconds 0");
  });

  test("after a successful run, /metrics counts it, its users and its duration, and /healthz reports it", async () => {
    await scheduler.tick("nightly-sync", "schedule");
    const endedAt = new Date(fixture.clock.now());
    const metricsResponse = await get(`${server.url}/metrics`);
    expect(metricsResponse.status).toBe(200);
    expect(metricsResponse.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = metricsResponse.body;
    for (const line of [
      'zephr_sync_runs_total{status="succeeded",kind="incremental"} 1',
      'zephr_sync_users_synced_total{kind="incremental"} 120',
      `zephr_sync_last_success_timestamp_seconds ${endedAt.getTime() / 1000}`,
      'zephr_sync_run_duration_seconds_count{status="succeeded",kind="incremental"} 1',
      'zephr_sync_run_duration_seconds_sum{status="succeeded",kind="incremental"} 2.5',
      'zephr_sync_run_duration_seconds_bucket{le="5",status="succeeded",kind="incremental"} 1',
      'zephr_sync_run_duration_seconds_bucket{le="1",status="succeeded",kind="incremental"} 0',
      "zephr_sync_running 0",
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    expect(text).toMatch(/# HELP zephr_sync_runs_total /);
    expect(text).toMatch(/# TYPE zephr_sync_run_duration_seconds histogram/);

    const health = JSON.parse((await get(`${server.url}/healthz`)).body) as unknown;
    expect(health).toEqual({ status: "ok", lastSuccessAt: endedAt.toISOString(), running: false });
  });

  test("a failed run is counted as failed and does not move the last success", async () => {
    await tickOnce();
    const before = metrics.lastSuccessAt;
    fixture.simulator.faults.push({ kind: "status", status: 401 });
    await scheduler.tick("nightly-sync", "schedule");
    const text = (await get(`${server.url}/metrics`)).body;
    expect(text).toContain('zephr_sync_runs_total{status="failed",kind="incremental"} 1');
    expect(metrics.lastSuccessAt).toEqual(before);
  });

  test("while a run is going, /healthz and zephr_sync_running say so", async () => {
    let open: () => void = () => undefined;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const ticking = scheduler.tick("nightly-sync", "schedule");
    try {
      expect(JSON.parse((await get(`${server.url}/healthz`)).body)).toMatchObject({ running: true });
      expect((await get(`${server.url}/metrics`)).body).toContain("zephr_sync_running 1");
    } finally {
      open();
      gate = undefined;
      await ticking;
    }
  });

  test("/healthz answers 503 when the database is unreachable", async () => {
    const unreachable = createPool(
      { databaseUrl: "postgres://postgres@127.0.0.1:9/nowhere", schema: "zephr" },
      () => undefined,
    );
    const broken = await startMetricsServer({
      host: "127.0.0.1",
      port: 0,
      metrics: createSyncMetrics(),
      pingDatabase: () => pingDatabase(unreachable),
      logger,
    });
    try {
      const health = await get(`${broken.url}/healthz`);
      expect(health.status).toBe(503);
      const body = JSON.parse(health.body) as { error?: unknown };
      expect(body).toMatchObject({ status: "unavailable", lastSuccessAt: null, running: false });
      expect(body.error).toMatch(/^database unreachable: .*ECONNREFUSED/);
    } finally {
      await broken.close();
      await unreachable.end();
    }
  });

  test("other paths answer 404 and other methods 405", async () => {
    expect((await get(`${server.url}/`)).status).toBe(404);
    const post = await fetch(`${server.url}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
