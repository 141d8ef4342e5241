import http from "node:http";
import type { AddressInfo } from "node:net";
import { runCli, type CliResult } from "../support/cli-process.js";
import { fixtureEnv, testKeys } from "../support/sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/**
 * What a run says when Zephr's side goes wrong in ways that used to send the user the wrong way, against
 * a hand-made server on loopback (each test sets how it answers) and the built CLI as a process. Every
 * run here fails before a user is stored, so each may bind the warehouse to its own ZEPHR_BASE_URL.
 */
describe("messages about Zephr that point the right way, from the spawned CLI", () => {
  let db: TestDatabase;
  let server: http.Server;
  let origin: string;
  let handle: Handler = (_request, response) => response.end();
  const paths: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    server = http.createServer((request, response) => {
      paths.push(request.url ?? "");
      handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    await db.drop();
  });

  beforeEach(() => {
    paths.length = 0;
  });

  async function run(baseUrl: string, env: Record<string, string> = {}): Promise<CliResult> {
    const result = await runCli(["run"], fixtureEnv(db.databaseUrl, baseUrl, { LOG_LEVEL: "warn", ...env }));
    expect(result.stdout + result.stderr).not.toContain(testKeys.secretKey);
    return result;
  }

  test("a base URL with a path: the 404 names the whole URL requested, that path included", async () => {
    handle = (_request, response) => {
      response.writeHead(404, { "content-type": "application/json" });
      response.end('{"message":"not here"}');
    };
    const result = await run(`${origin}/api`);
    expect(result.code).toBe(1);
    expect(paths[0]).toMatch(/^\/api\/v3\/user-export\?/);
    expect(result.stdout).toMatch(
      new RegExp(
        `Zephr answered 404 for GET ${origin}/api/v3/user-export\\?[^ ]*rpp=50[^ ]* \\(Zephr said: "not here"\\)`,
      ),
    );
    // The signature travels in a header and is never part of the URL shown.
    expect(result.stdout).not.toMatch(/ZEPHR-HMAC|Authorization/i);
  });

  test("https:// to a plain-HTTP port is diagnosed as no TLS there, not as an untrusted certificate", async () => {
    handle = (_request, response) => response.end();
    const result = await run(origin.replace("http:", "https:"));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`the server at ${new URL(origin).host} does not speak TLS on this port`);
    expect(result.stdout).toMatch(/Check ZEPHR_BASE_URL's scheme and port/);
    expect(result.stdout).not.toMatch(/wrong version number|ZEPHR_CA_FILE/);
    // Not transient: no retry.
    expect(result.stderr).not.toMatch(/page failed; retrying/);
  });

  test("the failure after the last retry says that it gave up, not that it will retry", async () => {
    handle = (_request, response) => {
      response.writeHead(503, { "content-type": "application/json" });
      response.end('{"message":"busy"}');
    };
    const result = await run(origin, { ZEPHR_RETRIES: "2", LOG_LEVEL: "info" });
    expect(result.code).toBe(1);
    expect(paths).toHaveLength(3);
    expect(result.stdout).toMatch(
      /\[ZEPHR_UNAVAILABLE\]: Zephr answered 503 for GET .*\(Zephr said: "busy"\)\. Gave up after 3 attempts \(ZEPHR_RETRIES=2\)\./,
    );
    expect(result.stdout + result.stderr).not.toMatch(/will retry/);
    const retries = result.stderr.split("\n").filter((line) => line.includes("page failed; retrying"));
    expect(retries).toHaveLength(2);
  });

  test("an idle timeout says how much of the body had arrived and what was awaited", async () => {
    handle = (_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      response.write(`{"results":[${" ".repeat(188)}`);
    };
    const result = await run(origin, { ZEPHR_RETRIES: "0", ZEPHR_IDLE_TIMEOUT: "300ms" });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /received no byte for 300ms after 200 of the 1000 body bytes its Content-Length announced, while awaiting the other 800; aborted \(ZEPHR_IDLE_TIMEOUT\)/,
    );
    expect(result.stdout).not.toMatch(/received nothing/);
  });

  test("a whole document sent without ending the response: the idle timeout says the end was awaited", async () => {
    handle = (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"results":[],"meta":{"count":0}}');
    };
    const result = await run(origin, { ZEPHR_RETRIES: "0", ZEPHR_IDLE_TIMEOUT: "300ms" });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /received no byte for 300ms after 33 bytes of its body, while awaiting more or the end of the response/,
    );
  });

  test("a redirect is reported with its Location, and not followed", async () => {
    handle = (_request, response) => {
      response.writeHead(302, { location: "https://login.example.com/sso?next=%2Fv3" });
      response.end();
    };
    const result = await run(origin);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /Zephr answered 302 for GET http:\/\/127\.0\.0\.1:\d+\/v3\/user-export\?\S*, redirecting to "https:\/\/login\.example\.com\/sso\?next=%2Fv3"/,
    );
    expect(result.stdout).toMatch(/set ZEPHR_BASE_URL to the tenant API host/);
    expect(paths).toHaveLength(1);
  });
});
