import { createServer, type Server, type Socket } from "node:net";
import { tryAcquireRunLock } from "../../src/db/run-lock.js";
import { reliabilityDatabasePassword } from "../support/captured-output.js";
import { startLoadedCliFixture, type CliFixture } from "../support/cli-fixture.js";
import { waitFor } from "../support/wait-for.js";
import { findBackends, terminateBackends, withUsersTrigger } from "../support/users-trigger.js";

/**
 * PostgreSQL failing under the running CLI: unreachable at start, connections killed mid-run
 * (pg_terminate_backend), a statement timeout, a disk-full error. Triggers on zephr.users stand in for a
 * slow or failing server: they fire on the job's own batch statements.
 */

/** A TCP server that accepts connections and never says a word (a hung server or a black hole). */
async function startSilentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe("PostgreSQL faults against the spawned CLI", () => {
  let f: CliFixture;

  beforeAll(async () => {
    f = await startLoadedCliFixture("postgres-faults", { count: 120, seed: 71 });
  });

  beforeEach(() => {
    f.prepareCase();
  });

  afterEach(async () => {
    await f.endCase();
  });

  afterAll(async () => {
    await f.close();
  });

  async function expectWarehouseEqualsSource(): Promise<void> {
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  }

  const withTrigger = <T>(body: string, fn: () => Promise<T>) => withUsersTrigger(f.db.pool, body, fn);
  const backends = (name: string) => findBackends(f.db.pool, f.db.name, name);
  const terminate = (pids: readonly number[]) => terminateBackends(f.db.pool, pids);

  async function expectFailedRunHeals(code: string, message: RegExp, before: Date | null) {
    const run = await f.latestRun();
    expect(run).toMatchObject({ status: "failed", errorCode: code });
    expect(run?.errorMessage).toMatch(message);
    expect(await f.watermark()).toEqual(before);
    f.simulator.faults.clear();
    const healed = await f.cli(["run"]);
    expect(healed.code).toBe(0);
    expect(await f.latestRun()).toMatchObject({ status: "succeeded" });
    await expectWarehouseEqualsSource();
  }

  describe("PostgreSQL unavailable at start", () => {
    test("a closed port: bounded retries, then exit 1 with DB_UNAVAILABLE naming the host, not the password", async () => {
      const url = `postgres://someone:${reliabilityDatabasePassword}@127.0.0.1:1/warehouse`;
      const startedAt = Date.now();
      const result = await f.cli(["run"], { DATABASE_URL: url, DB_CONNECT_RETRIES: "1" });
      expect(Date.now() - startedAt).toBeLessThan(8000);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "zephr-sync: [DB_UNAVAILABLE] Could not connect to PostgreSQL at postgres://someone:***@127.0.0.1:1/warehouse",
      );
      expect(result.stderr).toMatch(/after 2 attempt\(s\): connect ECONNREFUSED 127\.0\.0\.1:1/);
      expect(result.stderr.match(/PostgreSQL cannot be reached yet; retrying/g)).toHaveLength(1);
    });

    test("a server that accepts but never answers does not hang the job: DB_CONNECT_TIMEOUT bounds each attempt", async () => {
      const silent = await startSilentServer();
      try {
        const url = `postgres://someone:${reliabilityDatabasePassword}@127.0.0.1:${silent.port}/warehouse`;
        const startedAt = Date.now();
        const result = await f.cli(["run"], {
          DATABASE_URL: url,
          DB_CONNECT_RETRIES: "0",
          DB_CONNECT_TIMEOUT: "300ms",
        });
        expect(Date.now() - startedAt).toBeLessThan(5000);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/\[DB_UNAVAILABLE\] Could not connect to PostgreSQL at .*:\*\*\*@/);
        expect(result.stderr).toMatch(/timeout expired/);
      } finally {
        await silent.close();
      }
    });

    test("the run lock's own connection is bounded by the same timeout", async () => {
      const silent = await startSilentServer();
      try {
        const startedAt = Date.now();
        await expect(
          tryAcquireRunLock(`postgres://someone@127.0.0.1:${silent.port}/warehouse`, {
            schema: "zephr",
            connectTimeoutMs: 200,
          }),
        ).rejects.toThrow(/timeout expired/);
        expect(Date.now() - startedAt).toBeLessThan(3000);
      } finally {
        await silent.close();
      }
    });

    test("status, migrate, schedule and dry runs fail the same way; a database that does not exist is not retried", async () => {
      const down = { DATABASE_URL: "postgres://someone@127.0.0.1:1/warehouse", DB_CONNECT_RETRIES: "0" };
      for (const command of [["status"], ["migrate"], ["schedule"], ["backfill", "--full", "--dry-run"]]) {
        const result = await f.cli(command, down);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/\[DB_UNAVAILABLE\] Could not connect to PostgreSQL at/);
      }
      const missing = new URL(f.role.databaseUrl);
      missing.pathname = "/zephr_sync_no_such_database";
      const result = await f.cli(["status"], { DATABASE_URL: missing.toString() });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/\[SQLSTATE 3D000\]/);
      expect(result.stderr).not.toMatch(/retrying/);
    });
  });

  test("killing the job's batch connections mid-run is survived: the batch transaction is retried", async () => {
    const before = await f.watermark();
    await withTrigger("perform pg_sleep(0.3)", async () => {
      const process = f.start(["backfill", "--full"], { SYNC_BATCH_SIZE: "30" });
      // The first batch statement asleep in the trigger: kill it mid-transaction.
      const busy = await waitFor("a batch statement in flight", async () =>
        (await backends("zephr-sync")).filter((b) => b.wait_event === "PgSleep"),
      );
      await terminate(busy.map((b) => b.pid));
      // Then every other connection of the job's pool, idle ones included.
      await waitFor("the next batch", async () =>
        (await backends("zephr-sync")).some((b) => b.wait_event === "PgSleep"),
      );
      await terminate((await backends("zephr-sync")).map((b) => b.pid));
      const exited = await process.exited;
      expect(process.stdout()).toMatch(/succeeded/);
      expect(exited.code).toBe(0);
    });
    expect(await f.latestRun()).toMatchObject({ status: "succeeded", kind: "full", usersDeleted: 0 });
    expect((await f.watermark())?.getTime()).toBeGreaterThanOrEqual(before?.getTime() ?? 0);
    await expectWarehouseEqualsSource();
  });

  test("killing the lock's connection stops the run as LOCK_LOST; the next run heals", async () => {
    const before = await f.watermark();
    f.simulator.faults.push({ kind: "stall", afterBytes: 1000, page: 2, ms: 1500 });
    const process = f.start(["run"]);
    await waitFor("the stalled second page", () => f.simulator.requests.some((r) => r.fault === "stall"));
    const lock = await backends("zephr-sync lock");
    expect(lock).toHaveLength(1);
    await terminate(lock.map((b) => b.pid));
    const exited = await process.exited;
    expect(exited.code).toBe(1);
    expect(process.stdout()).toMatch(/failed \[LOCK_LOST\]/);
    await expectFailedRunHeals("LOCK_LOST", /Lost the run lock .*The next run repairs it/, before);
  });

  test("a statement timeout fails the run with SQLSTATE 57014 and says which setting; the next run heals", async () => {
    const before = await f.watermark();
    await withTrigger("perform pg_sleep(1)", async () => {
      const result = await f.cli(["run"], { DB_STATEMENT_TIMEOUT: "250ms" });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/failed \[DB_ERROR\].*\[SQLSTATE 57014\]/);
    });
    await expectFailedRunHeals(
      "DB_ERROR",
      /loading a batch of users \[SQLSTATE 57014\]: canceling statement due to statement timeout\. A statement ran past DB_STATEMENT_TIMEOUT/,
      before,
    );
  });

  test("a disk-full error is surfaced with its SQLSTATE and a hint; the watermark stays; the next run heals", async () => {
    const before = await f.watermark();
    await withTrigger(
      "raise exception 'could not extend file: No space left on device' using errcode = '53100'",
      async () => {
        const result = await f.cli(["run"]);
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(/\[SQLSTATE 53100\].*out of disk space/);
        const counts = await f.db.pool.query<{ written: number }>(
          "select users_written as written from zephr.sync_runs order by run_id desc limit 1",
        );
        expect(counts.rows[0]?.written).toBe(0);
      },
    );
    await expectFailedRunHeals(
      "DB_ERROR",
      /\[SQLSTATE 53100\]: could not extend file: No space left on device\. The database server is out of disk space\./,
      before,
    );
  });
});
