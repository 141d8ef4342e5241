import { loadScheduleConfig, loadSyncConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";

const complete = {
  DATABASE_URL: "postgres://u:p@localhost:5432/db",
  ZEPHR_ACCESS_KEY: "access",
  ZEPHR_SECRET_KEY: "secret",
};

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("what crosses the network in plain text, and what listens beyond this machine", () => {
  test.each([
    "http://127.0.0.1:4010",
    "http://localhost:4010/api",
    "http://[::1]:4010",
    "http://sim.localhost",
  ])("http:// to this machine (%s, a local simulator) is accepted", (url) => {
    expect(loadSyncConfig({ ...complete, ZEPHR_BASE_URL: url }).zephr.baseUrl).toBe(url.replace(/\/$/, ""));
  });

  test("http:// to another host is refused, naming ZEPHR_ALLOW_HTTP", () => {
    const problems = problemsOf(() =>
      loadSyncConfig({ ...complete, ZEPHR_BASE_URL: "http://acme.api.zephr.com" }),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^ZEPHR_BASE_URL="http:\/\/acme\.api\.zephr\.com" is plain http:\/\/ to acme\.api\.zephr\.com, not this machine: .*unencrypted\. Use https:\/\/, or set ZEPHR_ALLOW_HTTP=true/,
      ),
    ]);
    expect(
      problemsOf(() => loadSyncConfig({ ...complete, ZEPHR_BASE_URL: "http://10.0.0.5:4010" })),
    ).toHaveLength(1);
  });

  test("ZEPHR_ALLOW_HTTP=true accepts http:// to another host; anything but true or false is refused", () => {
    const env = { ...complete, ZEPHR_BASE_URL: "http://simulator:4010" };
    expect(loadSyncConfig({ ...env, ZEPHR_ALLOW_HTTP: "true" }).zephr.baseUrl).toBe("http://simulator:4010");
    expect(problemsOf(() => loadSyncConfig({ ...env, ZEPHR_ALLOW_HTTP: "yes" }))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ZEPHR_ALLOW_HTTP="yes" must be one of: false, true/)]),
    );
  });

  test("https:// needs no permission, whatever the host", () => {
    expect(
      problemsOf(() => loadSyncConfig({ ...complete, ZEPHR_BASE_URL: "https://acme.api.zephr.com" })),
    ).toEqual([]);
  });

  test("the metrics server listens on loopback unless METRICS_HOST says otherwise", () => {
    const env = { ...complete, ZEPHR_BASE_URL: "https://acme.api.zephr.com", METRICS_PORT: "9464" };
    expect(loadScheduleConfig(env).metricsHost).toBe("127.0.0.1");
    expect(loadScheduleConfig({ ...env, METRICS_HOST: "0.0.0.0" }).metricsHost).toBe("0.0.0.0");
    expect(loadScheduleConfig({ ...env, METRICS_HOST: "[::]" }).metricsHost).toBe("::");
    expect(problemsOf(() => loadScheduleConfig({ ...env, METRICS_HOST: "http://0.0.0.0:9464" }))).toEqual([
      expect.stringMatching(/^METRICS_HOST="http:\/\/0\.0\.0\.0:9464" must be an address to listen on/),
    ]);
  });
});
