import { loadSyncConfig } from "../../src/config.js";
import { chooseExportStart } from "../../src/sync/run/choose-export-start.js";
import { captureLogger } from "../schedule/capture-logger.js";

const localMs = Date.parse("2026-11-29T02:00:00Z");
const minuteMs = 60_000;
const server = { clock: "server", maxClockSkewMs: 5 * minuteMs } as const;

function warnings(log: ReturnType<typeof captureLogger>) {
  return log.lines().filter((line) => line.level === 40);
}

describe("the instant an export started (the next watermark)", () => {
  test("is Zephr's Date when it is within ZEPHR_MAX_CLOCK_SKEW of this machine's clock, without a warning", () => {
    const log = captureLogger();
    const ahead = localMs + 4 * minuteMs;
    const behind = localMs - 4 * minuteMs;
    expect(chooseExportStart(server, ahead, localMs, log.logger).getTime()).toBe(ahead);
    expect(chooseExportStart(server, behind, localMs, log.logger).getTime()).toBe(behind);
    expect(warnings(log)).toEqual([]);
  });

  test("is this machine's clock at the request when Zephr's Date is further ahead than the bound, with a warning", () => {
    const log = captureLogger();
    const started = chooseExportStart(server, Date.parse("2099-01-01T00:00:00Z"), localMs, log.logger);
    expect(started.getTime()).toBe(localMs);
    expect(warnings(log)).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining("ahead of this machine's by more than ZEPHR_MAX_CLOCK_SKEW") as unknown,
        serverDate: "2099-01-01T00:00:00.000Z",
        localDate: "2026-11-29T02:00:00.000Z",
      }),
    ]);
  });

  test("is never later than this machine's clock plus the bound, whatever the Date says", () => {
    const log = captureLogger();
    for (const skewMs of [0, 1, 5 * minuteMs, 5 * minuteMs + 1, 365 * 24 * 60 * minuteMs]) {
      const started = chooseExportStart(server, localMs + skewMs, localMs, log.logger);
      expect(started.getTime()).toBeLessThanOrEqual(localMs + server.maxClockSkewMs);
    }
  });

  test("keeps Zephr's Date when it is behind by more than the bound, and warns", () => {
    const log = captureLogger();
    const behind = localMs - 2 * 60 * minuteMs;
    expect(chooseExportStart(server, behind, localMs, log.logger).getTime()).toBe(behind);
    expect(warnings(log)).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining("behind this machine's by more than ZEPHR_MAX_CLOCK_SKEW") as unknown,
      }),
    ]);
  });

  test("is this machine's clock at the request when Zephr sent no Date", () => {
    const log = captureLogger();
    expect(chooseExportStart(server, undefined, localMs, log.logger).getTime()).toBe(localMs);
    expect(warnings(log)).toEqual([]);
  });

  test("is this machine's clock at the request when ZEPHR_WATERMARK_CLOCK=local", () => {
    const log = captureLogger();
    const local = { clock: "local", maxClockSkewMs: 5 * minuteMs } as const;
    expect(chooseExportStart(local, localMs + minuteMs, localMs, log.logger).getTime()).toBe(localMs);
  });

  test("a bound of 0 never lets Zephr's Date be later than this machine's clock", () => {
    const log = captureLogger();
    const strict = { clock: "server", maxClockSkewMs: 0 } as const;
    expect(chooseExportStart(strict, localMs + 1, localMs, log.logger).getTime()).toBe(localMs);
    expect(chooseExportStart(strict, localMs - 1, localMs, log.logger).getTime()).toBe(localMs - 1);
  });

  test("ZEPHR_MAX_CLOCK_SKEW defaults to 5 minutes and ZEPHR_PAGE_TIMEOUT to 10 minutes, 0 allowed", () => {
    const env = {
      DATABASE_URL: "postgres://localhost/x",
      ZEPHR_BASE_URL: "https://acme.api.zephr.com",
      ZEPHR_ACCESS_KEY: "a",
      ZEPHR_SECRET_KEY: "s",
    };
    expect(loadSyncConfig(env).zephr).toMatchObject({
      maxClockSkewMs: 5 * minuteMs,
      pageTimeoutMs: 10 * minuteMs,
    });
    expect(
      loadSyncConfig({ ...env, ZEPHR_MAX_CLOCK_SKEW: "0", ZEPHR_PAGE_TIMEOUT: "0" }).zephr,
    ).toMatchObject({ maxClockSkewMs: 0, pageTimeoutMs: 0 });
    expect(() => loadSyncConfig({ ...env, ZEPHR_MAX_CLOCK_SKEW: "soon" })).toThrow(/ZEPHR_MAX_CLOCK_SKEW/);
  });
});
