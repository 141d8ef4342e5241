import { PassThrough } from "node:stream";
import { createProgressDisplay, describeProgress } from "../../src/commands/progress-display.js";
import { zeroCounts } from "../../src/db/sync-runs.js";
import { SyncError } from "../../src/errors.js";
import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { fixtureEnv, testKeys } from "../support/sync-fixture.js";
import { runCli } from "../support/cli-process.js";

function captureStream(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  return { stream, text: () => text };
}

describe("progress", () => {
  test("is drawn on a terminal in the console's phases, and not at all elsewhere", () => {
    const terminal = captureStream(true);
    let nowMs = 0;
    const display = createProgressDisplay(terminal.stream, () => nowMs);
    expect(createProgressDisplay(captureStream(false).stream)).toBeUndefined();
    if (display === undefined) throw new Error("a terminal gets a display");
    display({
      type: "preparing",
      runId: "7",
      kind: "incremental",
      sinceAt: new Date("2026-01-01T00:00:00Z"),
    });
    nowMs = 1000;
    display({
      type: "downloading",
      bytes: 12_300_000,
      pages: 4,
      users: 2500,
      expectedUsers: 10_000,
      elapsedMs: 1000,
    });
    display({
      type: "complete",
      counts: { ...zeroCounts, usersReceived: 10_000, usersWritten: 12 },
      elapsedMs: 4000,
    });
    const text = terminal.text();
    expect(text).toContain("Preparing user export… (run 7, users updated since 2026-01-01T00:00:00.000Z)");
    expect(text).toContain("Downloading: 12.3MB / ~49.2MB (page 5, 2,500 users, 2,500 users/s, ETA 3.0s)");
    expect(text).toContain("Export complete! 10,000 users in 4.0s, 12 written.");
  });

  test("a failure ends with Export failed and the reason", () => {
    expect(
      describeProgress({
        type: "failed",
        error: new SyncError("ZEPHR_AUTH", "check the keys"),
        elapsedMs: 1,
      }),
    ).toBe("Export failed: check the keys");
  });
});

describe("run on a pseudo-terminal and off one", () => {
  let db: TestDatabase;
  let simulator: ZephrSimulator;

  beforeAll(async () => {
    db = await createTestDatabase();
    simulator = await startZephrSimulator({ ...testKeys, users: { count: 120, seed: 4 } });
  });

  afterAll(async () => {
    await simulator.close();
    await db.drop();
  });

  test("on a terminal (script(1) gives it one) the progress line shows and the logs keep to warnings", async () => {
    const env = { ...fixtureEnv(db.databaseUrl, simulator.url), LOG_LEVEL: "" };
    const output = (await runCli(["run"], env, { terminal: true })).stdout;
    expect(output).toContain("Preparing user export…");
    expect(output).toContain("Export complete!");
    expect(output).not.toContain('"msg":"page received"');
  });

  test("off a terminal it writes JSON log lines, one per page and per run, with the run id", async () => {
    const result = await runCli(["run"], fixtureEnv(db.databaseUrl, simulator.url, { LOG_LEVEL: "info" }));
    expect(result.code).toBe(0);
    const lines = result.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string; runId?: string });
    expect(lines.filter((l) => l.msg === "page received").every((l) => typeof l.runId === "string")).toBe(
      true,
    );
    expect(lines.some((l) => l.msg === "run succeeded")).toBe(true);
    expect(result.stderr).not.toContain("Downloading:");
  });
});
