import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runLockKey } from "../../src/db/run-lock.js";
import { runSync } from "../../src/sync/run/run-sync.js";
import { captureLogger } from "../schedule/capture-logger.js";
import {
  expectFailed,
  expectSucceeded,
  startSyncFixture,
  type SyncFixture,
} from "../support/sync-fixture.js";

/** Whether another session can take the run lock right now (and gives it back at once). */
async function isRunLockFree(databaseUrl: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: databaseUrl });
  await probe.connect();
  try {
    const result = await probe.query<{ locked: boolean }>(
      "select pg_try_advisory_lock($1::bigint) as locked",
      [runLockKey],
    );
    return result.rows[0]?.locked === true;
  } finally {
    await probe.end();
  }
}

describe("the run lock never outlives a run", () => {
  let fixture: SyncFixture | undefined;
  let directory: string | undefined;

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
    directory = undefined;
  });

  test("a CA file that becomes unreadable after start fails the run and leaves the lock free, so the next run is not 'locked'", async () => {
    directory = mkdtempSync(join(tmpdir(), "zephr-sync-ca-"));
    const caFile = join(directory, "ca.pem");
    writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    fixture = await startSyncFixture({ users: { count: 40, seed: 3 } }, { ZEPHR_CA_FILE: caFile });
    rmSync(caFile);
    const failed = expectFailed(await fixture.run());
    expect(failed.error.code).toBe("CONFIG_INVALID");
    expect(failed.error.message).toContain("ZEPHR_CA_FILE");
    expect(await isRunLockFree(fixture.db.databaseUrl)).toBe(true);
    const again = await fixture.run();
    expect(again.status).toBe("failed");
    writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    expectSucceeded(await fixture.run());
  });

  test("a bug in zephr-sync is reported as INTERNAL with its stack in the log, and the run's lock is released", async () => {
    const started = await startSyncFixture({ users: { count: 40, seed: 4 } });
    fixture = started;
    const log = captureLogger();
    const outcome = await runSync(
      {
        config: started.config,
        pool: started.db.pool,
        logger: log.logger,
        now: started.clock.now,
        sleep: () => Promise.resolve(),
        // A listener that breaks: a program bug, neither Zephr's nor the database's.
        onProgress: (event) => {
          if (event.type === "downloading") throw new TypeError("progress listener broke");
        },
      },
      { kind: "incremental" },
    );
    const failed = expectFailed(outcome);
    expect(failed.error.code).toBe("INTERNAL");
    expect(failed.error.message).toMatch(/progress listener broke\. This is a bug in zephr-sync/);
    const logged = log.lines().filter((line) => line.code === "INTERNAL" && typeof line.stack === "string");
    expect(logged).toHaveLength(1);
    expect(logged[0]?.stack).toMatch(/^TypeError: progress listener broke\n\s+at /);
    const runs = await started.db.pool.query<{ status: string; error_code: string }>(
      "select status, error_code from zephr.sync_runs",
    );
    expect(runs.rows).toEqual([{ status: "failed", error_code: "INTERNAL" }]);
    expect(await isRunLockFree(started.db.databaseUrl)).toBe(true);
    expectSucceeded(await started.run());
  });
});
