import { request } from "node:http";

import { startZephrSimulator, type ZephrSimulator } from "../../tools/simulator/index.js";
import { buildAuthorizationHeader } from "../../src/zephr/http/sign-request.js";
import { exportPath, parseJson, signedGet, testKeys } from "./simulator-client.js";

const nowMs = Date.UTC(2024, 2, 1);
const fullQuery = "attributes=true&grants=true&rpp=50";

describe("fault injection", () => {
  let simulator: ZephrSimulator;
  let fullBody: Buffer;

  beforeEach(async () => {
    simulator = await startZephrSimulator({ ...testKeys, clock: () => nowMs });
    simulator.store.seedGenerated({ count: 50, seed: 21 });
    fullBody = (await signedGet(simulator, fullQuery, { nowMs })).body;
    simulator.requests.length = 0;
  });

  afterEach(async () => {
    await simulator.close();
  });

  it("answers a queued status fault once, with a JSON message and Retry-After, then serves normally", async () => {
    simulator.faults.push({ kind: "status", status: 429, retryAfterSeconds: 7 });

    const faulted = await signedGet(simulator, fullQuery, { nowMs });
    const next = await signedGet(simulator, fullQuery, { nowMs });

    expect(faulted.status).toBe(429);
    expect(faulted.headers["retry-after"]).toBe("7");
    expect(parseJson(faulted)).toEqual({ message: "Too many requests." });
    expect(next.status).toBe(200);
    expect(simulator.requests.map((r) => [r.status, r.fault])).toEqual([
      [429, "status"],
      [200, undefined],
    ]);
  });

  it("repeats a fault as many times as asked and consumes faults in order", async () => {
    simulator.faults.push(
      { kind: "status", status: 503, times: 2 },
      { kind: "status", status: 502, body: "upstream gone" },
    );

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await signedGet(simulator, fullQuery, { nowMs })).status);

    expect(statuses).toEqual([503, 503, 502, 200]);
  });

  it("sends a string body of a status fault verbatim", async () => {
    simulator.faults.push({ kind: "status", status: 500, body: "upstream gone" });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.text).toBe("upstream gone");
  });

  it("applies a page-specific fault only to that page", async () => {
    simulator.faults.push({ kind: "status", status: 500, page: 2 });

    const page1 = await signedGet(simulator, "rpp=10&page=1", { nowMs });
    const page2 = await signedGet(simulator, "rpp=10&page=2", { nowMs });
    const page2Again = await signedGet(simulator, "rpp=10&page=2", { nowMs });

    expect([page1.status, page2.status, page2Again.status]).toEqual([200, 500, 200]);
  });

  it("forgets pending faults on clear", async () => {
    simulator.faults.push({ kind: "refuse" }, { kind: "html" });
    simulator.faults.clear();

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(200);
    expect(simulator.faults.pending).toEqual([]);
  });

  it("drops the connection with a reset after exactly afterBytes of the body", async () => {
    simulator.faults.push({ kind: "drop", afterBytes: 5000 });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(200);
    expect(response.complete).toBe(false);
    expect(response.errorCode).toBe("ECONNRESET");
    expect(response.body.equals(fullBody.subarray(0, 5000))).toBe(true);
    expect(simulator.requests[0]).toMatchObject({ status: 200, fault: "drop" });
  });

  it("drops the connection right after the headers when afterBytes is 0", async () => {
    simulator.faults.push({ kind: "drop", afterBytes: 0 });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(0);
    expect(response.errorCode).toBe("ECONNRESET");
  });

  it("still resets the connection when the body is shorter than afterBytes", async () => {
    simulator.faults.push({ kind: "drop", afterBytes: fullBody.length + 10 });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.complete).toBe(false);
    expect(response.body.equals(fullBody)).toBe(true);
  });

  it("refuses a request by resetting the connection without any answer", async () => {
    simulator.faults.push({ kind: "refuse" });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(0);
    expect(response.errorCode).toBe("ECONNRESET");
    expect(simulator.requests[0]).toMatchObject({ status: 0, fault: "refuse" });
  });

  it("truncates the body after afterBytes in a cleanly ended response", async () => {
    simulator.faults.push({ kind: "truncate", afterBytes: 1234 });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(200);
    expect(response.complete).toBe(true);
    expect(response.body.equals(fullBody.subarray(0, 1234))).toBe(true);
    expect(() => JSON.parse(response.text) as unknown).toThrow(SyntaxError);
  });

  it("stalls for ms after afterBytes and then completes the body", async () => {
    simulator.faults.push({ kind: "stall", afterBytes: 3000, ms: 20 });

    const started = performance.now();
    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(response.complete).toBe(true);
    expect(response.body.equals(fullBody)).toBe(true);
  });

  it("hangs after afterBytes until the simulator closes when a stall has no ms", async () => {
    simulator.faults.push({ kind: "stall", afterBytes: 100 });
    const received: Buffer[] = [];
    const ended = new Promise<string>((resolve) => {
      const authorization = buildAuthorizationHeader(
        testKeys,
        { method: "GET", path: exportPath, query: fullQuery, body: "" },
        nowMs,
      );
      const url = new URL(simulator.url);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: `${exportPath}?${fullQuery}`,
          headers: { authorization },
          agent: false,
        },
        (res) => {
          res.on("data", (chunk: Buffer) => {
            received.push(chunk);
            if (Buffer.concat(received).length >= 100) void simulator.close();
          });
          res.on("error", (error: NodeJS.ErrnoException) => {
            resolve(error.code ?? "error");
          });
          res.on("end", () => {
            resolve("end");
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        resolve(error.code ?? "error");
      });
      req.end();
    });

    await expect(ended).resolves.toBe("ECONNRESET");
    expect(Buffer.concat(received).equals(fullBody.subarray(0, 100))).toBe(true);
  });

  it("answers 200 with an HTML error page", async () => {
    simulator.faults.push({ kind: "html" });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.text).toContain("<html");
  });

  it("answers 200 with an empty body", async () => {
    simulator.faults.push({ kind: "empty" });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(200);
    expect(response.headers["content-length"]).toBe("0");
    expect(response.body).toHaveLength(0);
  });

  it("answers exactly the raw status, body and content type given", async () => {
    simulator.faults.push({
      kind: "raw",
      status: 200,
      body: '{"results":[{"user":',
      contentType: "text/plain",
    });

    const response = await signedGet(simulator, fullQuery, { nowMs });

    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("text/plain");
    expect(response.text).toBe('{"results":[{"user":');
  });

  it("applies faults before checking the signature, as a proxy in front of Zephr would", async () => {
    simulator.faults.push({ kind: "status", status: 503 });

    const response = await signedGet(simulator, fullQuery, { nowMs, secretKey: "wrong" });

    expect(response.status).toBe(503);
  });

  it("rejects a fault with a negative afterBytes or zero times", () => {
    expect(() => {
      simulator.faults.push({ kind: "drop", afterBytes: -1 });
    }).toThrow(RangeError);
    expect(() => {
      simulator.faults.push({ kind: "refuse", times: 0 });
    }).toThrow(RangeError);
  });
});
