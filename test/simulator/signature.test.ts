import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { buildAuthorizationHeader, computeRequestHash } from "../../src/zephr/http/sign-request.js";
import { exportPath, getRaw, makeElement, parseJson, signedGet, testKeys } from "./simulator-client.js";

const vector = {
  secretKey: "my-secret-key",
  query: "attributes=true&grants=true&since=2024-01-01T00%3A00%3A00Z&rpp=500&page=1",
  timestamp: "1700000000000",
  nonce: "5f1c2b3a-0000-4000-8000-000000000001",
  hash: "3239bd035be530f61c8266bd1030191cd8cc5b9ee2b41ab861fea6ace97edb54",
} as const;

describe("request signing", () => {
  let nowMs = 1_700_000_000_000;
  let simulator: ZephrSimulator;

  beforeEach(async () => {
    nowMs = 1_700_000_000_000;
    simulator = await startZephrSimulator({ ...testKeys, clock: () => nowMs });
    simulator.store.put(makeElement("u-1"), { updatedAtMs: Date.UTC(2024, 0, 2) });
  });

  afterEach(async () => {
    await simulator.close();
  });

  it("accepts the documented test vector", async () => {
    await simulator.close();
    simulator = await startZephrSimulator({
      accessKey: "vector-access-key",
      secretKey: vector.secretKey,
      clock: () => Number(vector.timestamp),
    });
    simulator.store.put(makeElement("u-1"), { updatedAtMs: Date.UTC(2024, 0, 2) });
    const hash = computeRequestHash(
      vector.secretKey,
      { method: "GET", path: exportPath, query: vector.query, body: "" },
      vector.timestamp,
      vector.nonce,
    );
    expect(hash).toBe(vector.hash);

    const response = await getRaw(simulator.url, `${exportPath}?${vector.query}`, {
      authorization: `ZEPHR-HMAC-SHA256 vector-access-key:${vector.timestamp}:${vector.nonce}:${vector.hash}`,
    });

    expect(response.status).toBe(200);
    expect(parseJson(response)).toMatchObject({
      results: [{ user: { user_id: "u-1" } }],
      meta: { count: 1 },
    });
  });

  it("answers 401 with a JSON message when the hash is wrong", async () => {
    const response = await signedGet(simulator, "rpp=10", { nowMs, secretKey: "not-the-secret" });

    expect(response.status).toBe(401);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(parseJson(response)).toEqual({ message: "Invalid request signature." });
  });

  it("answers 401 when the Authorization header is missing or malformed", async () => {
    const missing = await getRaw(simulator.url, `${exportPath}?rpp=10`);
    const malformed = await getRaw(simulator.url, `${exportPath}?rpp=10`, { authorization: "Bearer abc" });
    const legacy = await getRaw(simulator.url, `${exportPath}?rpp=10`, {
      authorization: `BLAIZE-HMAC-SHA256 ${testKeys.accessKey}:${nowMs}:n:${"0".repeat(64)}`,
    });

    expect([missing.status, malformed.status, legacy.status]).toEqual([401, 401, 401]);
    expect(parseJson(missing)).toEqual({
      message: expect.stringContaining("Missing Authorization") as unknown,
    });
  });

  it("answers 401 for an unknown access key", async () => {
    const response = await signedGet(simulator, "rpp=10", { nowMs, accessKey: "someone-else" });

    expect(response.status).toBe(401);
    expect(parseJson(response)).toEqual({ message: "Unknown access key." });
  });

  it("answers 401 when the timestamp is further from its clock than the allowed skew", async () => {
    const late = await signedGet(simulator, "rpp=10", { nowMs: nowMs - 5 * 60_000 - 1 });
    const early = await signedGet(simulator, "rpp=10", { nowMs: nowMs + 5 * 60_000 + 1 });
    const withinSkew = await signedGet(simulator, "rpp=10", { nowMs: nowMs - 5 * 60_000 });

    expect([late.status, early.status, withinSkew.status]).toEqual([401, 401, 200]);
    expect(parseJson(late)).toEqual({ message: expect.stringContaining("clock") as unknown });
  });

  it("honours a custom maximum skew", async () => {
    await simulator.close();
    simulator = await startZephrSimulator({ ...testKeys, clock: () => nowMs, maxSkewMs: 1000 });

    const tooFar = await signedGet(simulator, "rpp=10", { nowMs: nowMs - 1001 });
    const close = await signedGet(simulator, "rpp=10", { nowMs: nowMs + 1000 });

    expect([tooFar.status, close.status]).toEqual([401, 200]);
  });

  it("answers 401 when a nonce is used a second time", async () => {
    const first = await signedGet(simulator, "rpp=10", { nowMs, nonce: "same-nonce" });
    nowMs += 1;
    const replay = await signedGet(simulator, "rpp=10", { nowMs, nonce: "same-nonce" });

    expect(first.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(parseJson(replay)).toEqual({ message: "Nonce already used." });
  });

  it("does not use up a nonce on a request whose signature is wrong", async () => {
    const bad = await signedGet(simulator, "rpp=10", { nowMs, nonce: "n-1", secretKey: "wrong" });
    const good = await signedGet(simulator, "rpp=10", { nowMs, nonce: "n-1" });

    expect([bad.status, good.status]).toEqual([401, 200]);
  });

  it("verifies the query exactly as sent, so a client that re-encodes after signing is refused", async () => {
    const signedQuery = "since=2024-01-01T00%3A00%3A00Z";
    const asSigned = await signedGet(simulator, signedQuery, { nowMs, nonce: "n-a" });
    // Signed with %3A, sent with a literal ':' (what a re-encoding HTTP client might do).
    const authorization = buildAuthorizationHeader(
      testKeys,
      { method: "GET", path: exportPath, query: signedQuery, body: "" },
      nowMs,
      "n-b",
    );
    const reencoded = await getRaw(simulator.url, `${exportPath}?since=2024-01-01T00:00:00Z`, {
      authorization,
    });

    expect(asSigned.status).toBe(200);
    expect(reencoded.status).toBe(401);
  });

  it("records every request with its raw query, status and clock time", async () => {
    await signedGet(simulator, "since=2024-01-01T00%3A00%3A00Z&rpp=2", { nowMs });
    nowMs += 5;
    await getRaw(simulator.url, `${exportPath}?rpp=2`);

    expect(simulator.requests).toEqual([
      {
        method: "GET",
        path: exportPath,
        query: "since=2024-01-01T00%3A00%3A00Z&rpp=2",
        status: 200,
        atMs: 1_700_000_000_000,
      },
      { method: "GET", path: exportPath, query: "rpp=2", status: 401, atMs: 1_700_000_000_005 },
    ]);
  });
});
