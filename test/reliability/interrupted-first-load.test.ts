import { analystIndexes } from "../../src/db/analyst-indexes.js";
import { startCliFixture, type CliFixture } from "../support/cli-fixture.js";
import { waitFor } from "../support/wait-for.js";

/**
 * A first load stopped while its analyst indexes are dropped (it builds them once its rows are in):
 * under `npx`, one Ctrl-C reaches the process twice a few ms apart, and that must not count as the
 * second signal that exits at once; and a first load killed outright leaves the indexes to the next run
 * as the owner, which builds them and says so.
 */
describe("a first load interrupted while its analyst indexes are dropped", () => {
  let f: CliFixture;

  beforeEach(async () => {
    f = await startCliFixture("interrupted-first-load", { simulator: { users: { count: 120, seed: 83 } } });
  });

  afterEach(async () => {
    await f.endCase();
    await f.close();
  });

  const names = analystIndexes.map((index) => index.name);

  async function presentIndexes(): Promise<string[]> {
    const result = await f.db.pool.query<{ name: string }>(
      "select relname as name from pg_class where relkind = 'i' and relname = any($1::text[]) order by relname",
      [names],
    );
    return result.rows.map((row) => row.name);
  }

  /** Starts the first load and holds it on a page 2 that never finishes arriving, its indexes dropped. */
  async function startStalledFirstLoad() {
    f.simulator.faults.push({ kind: "stall", afterBytes: 2000, page: 2 });
    const process = f.start(["run"], { ZEPHR_IDLE_TIMEOUT: "30s", SYNC_BATCH_SIZE: "20" });
    await waitFor("the stalled second page", () => f.simulator.requests.some((r) => r.fault === "stall"));
    await waitFor("the analyst indexes to be dropped", async () => (await presentIndexes()).length === 0);
    return process;
  }

  test("one Ctrl-C delivered twice a few ms apart cancels it once, and it ends with all its indexes", async () => {
    const process = await startStalledFirstLoad();
    process.kill("SIGINT");
    // Sent back to back, two signals merge into one pending signal: the second follows once the first
    // has been handled, a few ms later, as npm's forwarded copy of a terminal's Ctrl-C does.
    await waitFor("the first signal to be handled", () =>
      process.logLines().some((line) => line.signal === "SIGINT"),
    );
    process.kill("SIGINT");
    expect(await process.exited).toMatchObject({ code: 1, signal: null });
    expect(process.stderr()).toMatch(
      /received SIGINT again within 1000ms of the first: the same signal delivered twice/,
    );
    expect(process.stderr()).not.toMatch(/exiting now/);
    expect(await f.latestRun()).toMatchObject({ status: "cancelled", errorCode: "CANCELLED" });
    expect(await presentIndexes()).toEqual([...names].sort());
    expect(await f.watermark()).toBeNull();
  });

  test("killed outright, it leaves them missing; the next run as the owner builds them and says so", async () => {
    const process = await startStalledFirstLoad();
    process.kill("SIGKILL");
    expect(await process.exited).toMatchObject({ code: null, signal: "SIGKILL" });
    expect(await presentIndexes()).toEqual([]);

    f.simulator.faults.clear();
    const next = await f.cli(["run"]);
    expect(next.code).toBe(0);
    const said = next.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg?: string; indexes?: string[] })
      .find(
        (line) => line.msg === `building ${names.length} analyst indexes a previous first load left missing`,
      );
    expect(said?.indexes?.sort()).toEqual([...names].sort());
    expect(await presentIndexes()).toEqual([...names].sort());
    const { actual, expected } = await f.compare();
    expect(actual).toEqual(expected);
  });
});
