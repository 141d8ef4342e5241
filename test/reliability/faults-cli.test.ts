import type { Fault } from "../../tools/simulator/index.js";
import { startLoadedCliFixture, type CliFixture } from "../support/cli-fixture.js";
import { withoutEndPrefetch } from "../support/export-page-requests.js";

/**
 * Every way Zephr can misbehave, against the real command line: the built CLI as a process, the
 * simulator on loopback and PostgreSQL. After each fault: the documented exit code, a run row that says
 * what happened, the watermark untouched unless the run succeeded, and a next clean run that makes the
 * warehouse equal to the source.
 */

describe("Zephr faults against the spawned CLI", () => {
  let f: CliFixture;

  beforeAll(async () => {
    f = await startLoadedCliFixture("faults-cli", { count: 120, seed: 61 });
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

  const exportRequests = () => f.simulator.requests.filter((r) => r.path === "/v3/user-export");
  /**
   * Statuses answered for pages 1 to `lastPage`, the last page the run read or failed on, less the
   * request for the page after it, which goes ahead and is aborted (and may or may not be recorded).
   */
  const exportStatuses = (lastPage: number) =>
    withoutEndPrefetch(exportRequests(), lastPage).map((r) => r.status);

  async function expectWarehouseEqualsSource(): Promise<void> {
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  }

  /** The run that set the watermark: moving it is a success's privilege (Date headers have 1 s steps). */
  async function watermarkRunId(): Promise<string | undefined> {
    const result = await f.db.pool.query<{ run_id: string }>(
      "select run_id from zephr.sync_watermarks where stream = 'users'",
    );
    return result.rows[0]?.run_id;
  }

  /** A run succeeded, and it set the watermark (to no earlier than `before`). */
  async function expectWatermarkSetByLatestRun(before: Date | null): Promise<void> {
    const run = await f.latestRun();
    expect(run).toMatchObject({ status: "succeeded", errorCode: null });
    expect(await watermarkRunId()).toBe(run?.runId);
    expect((await f.watermark())?.getTime()).toBeGreaterThanOrEqual(before?.getTime() ?? 0);
  }

  /** A clean run after a fault: exit 0, a succeeded row that moved the watermark, the warehouse equal. */
  async function expectNextRunHeals(before: Date | null): Promise<void> {
    f.simulator.faults.clear();
    const healed = await f.cli(["run"]);
    expect(healed.code).toBe(0);
    await expectWatermarkSetByLatestRun(before);
    await expectWarehouseEqualsSource();
  }

  describe("transient faults are retried and the run succeeds", () => {
    test("500, 502 and 503 answers are retried with backoff, then the export completes", async () => {
      const before = await f.watermark();
      f.simulator.faults.push(
        { kind: "status", status: 500, page: 1 },
        { kind: "status", status: 502, page: 1 },
        { kind: "status", status: 503, page: 2 },
      );
      const result = await f.cli(["run"]);
      expect(result.code).toBe(0);
      expect(exportStatuses(2)).toEqual([500, 502, 200, 503, 200]);
      const retries = result.stderr.split("\n").filter((line) => line.includes("page failed; retrying"));
      expect(retries).toHaveLength(3);
      expect(await f.latestRun()).toMatchObject({ pages: 2 });
      await expectWatermarkSetByLatestRun(before);
      await expectWarehouseEqualsSource();
    });

    test("a 429 is retried only after its Retry-After has passed", async () => {
      f.simulator.faults.push({ kind: "status", status: 429, retryAfterSeconds: 1, page: 1 });
      const result = await f.cli(["run"]);
      expect(result.code).toBe(0);
      expect(await f.latestRun()).toMatchObject({ pages: 2 });
      const exports = withoutEndPrefetch(exportRequests(), 2);
      expect(exports.map((r) => r.status)).toEqual([429, 200, 200]);
      const [limited, retried] = exports;
      expect((retried?.atMs ?? 0) - (limited?.atMs ?? 0)).toBeGreaterThanOrEqual(990);
      await expectWarehouseEqualsSource();
    });

    test.each<[string, Fault[], Record<string, string>]>([
      ["a refused connection", [{ kind: "refuse", page: 1, times: 2 }], {}],
      ["a connection reset mid-body", [{ kind: "drop", afterBytes: 3000, page: 2 }], {}],
      [
        "a body that stalls past ZEPHR_IDLE_TIMEOUT",
        [{ kind: "stall", afterBytes: 2000, page: 1 }],
        { ZEPHR_IDLE_TIMEOUT: "400ms" },
      ],
    ])("%s is retried from the start of the page", async (_name, faults, env) => {
      f.simulator.faults.push(...faults);
      const startedAt = Date.now();
      const result = await f.cli(["run"], env);
      expect(result.code).toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      expect(f.simulator.requests.some((r) => r.fault !== undefined)).toBe(true);
      expect(await f.latestRun()).toMatchObject({ status: "succeeded" });
      await expectWarehouseEqualsSource();
    });
  });

  describe("faults that outlast the retries, or are not transient, fail the run cleanly", () => {
    test.each<[string, Fault[], Record<string, string>, string, RegExp, number]>([
      [
        "503 on every attempt",
        [{ kind: "status", status: 503, times: 50 }],
        { ZEPHR_RETRIES: "2" },
        "ZEPHR_UNAVAILABLE",
        /^Zephr answered 503 for GET http:\/\/127\.0\.0\.1:\d+\/v3\/user-export\?.*Gave up after 3 attempts \(ZEPHR_RETRIES=2\)\.$/,
        3,
      ],
      [
        "a refused connection on every attempt",
        [{ kind: "refuse", times: 50 }],
        { ZEPHR_RETRIES: "2" },
        "ZEPHR_NETWORK",
        /^Could not complete GET http:\/\/127\.0\.0\.1:\d+\/v3\/user-export\?.*Gave up after 3 attempts/,
        3,
      ],
      [
        "a reset mid-body on every attempt",
        [{ kind: "drop", afterBytes: 1500, times: 50 }],
        { ZEPHR_RETRIES: "2" },
        "ZEPHR_NETWORK",
        /^Could not complete GET http:\/\/127\.0\.0\.1:\d+\/v3\/user-export\?.*Gave up after 3 attempts/,
        3,
      ],
      [
        "a stalled body on every attempt",
        [{ kind: "stall", afterBytes: 1000, times: 50 }],
        { ZEPHR_RETRIES: "1", ZEPHR_IDLE_TIMEOUT: "300ms" },
        "ZEPHR_TIMEOUT",
        /received no byte for 300ms after \d+ (of the \d+ body bytes|bytes of its body).*; aborted \(ZEPHR_IDLE_TIMEOUT\)\. Gave up after 2 attempts/,
        2,
      ],
      [
        "truncated JSON",
        [{ kind: "truncate", afterBytes: 2500 }],
        {},
        "EXPORT_MALFORMED",
        /ended before the JSON document was complete|not valid JSON/,
        1,
      ],
      [
        "a 200 with an HTML error page",
        [{ kind: "html" }],
        {},
        "EXPORT_MALFORMED",
        /text\/html.*instead of JSON.*ZEPHR_BASE_URL/,
        1,
      ],
      ["an empty body", [{ kind: "empty" }], {}, "EXPORT_MALFORMED", /empty body/, 1],
      [
        "401",
        [{ kind: "status", status: 401, times: 5 }],
        {},
        "ZEPHR_AUTH",
        /401.*check ZEPHR_ACCESS_KEY \/ ZEPHR_SECRET_KEY and that this machine's clock is correct/,
        1,
      ],
      [
        "403",
        [{ kind: "status", status: 403, times: 5 }],
        {},
        "ZEPHR_FORBIDDEN",
        /403.*lacks the privilege to export users/,
        1,
      ],
    ])(
      "%s: exit 1, the run row says why, the watermark stays, the next run heals",
      async (_name, faults, env, code, message, attempts) => {
        const before = await f.watermark();
        f.simulator.faults.push(...faults);
        const startedAt = Date.now();
        const result = await f.cli(["run"], env);
        expect(Date.now() - startedAt).toBeLessThan(15_000);
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(new RegExp(`^Run \\d+ failed \\[${code}\\]`));
        expect(result.stdout).toMatch(/The watermark is unchanged/);
        // Page 1's attempts; a failure of its body may also find page 2 requested ahead.
        expect(exportStatuses(1)).toHaveLength(attempts);
        const run = await f.latestRun();
        expect(run).toMatchObject({ status: "failed", errorCode: code });
        expect(run?.errorMessage).toMatch(message);
        // The last attempt's message never promises another.
        expect(run?.errorMessage).not.toMatch(/will retry|and retried/);
        expect(run?.finishedAt).not.toBeNull();
        expect(await f.watermark()).toEqual(before);
        expect(await watermarkRunId()).not.toBe(run?.runId);
        await expectNextRunHeals(before);
      },
    );

    test("Zephr unreachable: bounded retries, then exit 1 naming the connection error", async () => {
      const before = await f.watermark();
      // Every attempt's connection is reset unanswered. (Another ZEPHR_BASE_URL, with nothing listening,
      // would be another tenant, refused before any request: this warehouse mirrors the simulator.)
      for (let attempt = 0; attempt < 3; attempt++) f.simulator.faults.push({ kind: "refuse" });
      const result = await f.cli(["run"], { ZEPHR_RETRIES: "2" });
      expect(result.code).toBe(1);
      const run = await f.latestRun();
      expect(run).toMatchObject({ status: "failed", errorCode: "ZEPHR_NETWORK" });
      expect(run?.errorMessage).toMatch(/ECONNRESET|socket hang up/);
      const retries = result.stderr.split("\n").filter((line) => line.includes("page failed; retrying"));
      expect(retries).toHaveLength(2);
      expect(await f.watermark()).toEqual(before);
      await expectNextRunHeals(before);
    });
  });
});
