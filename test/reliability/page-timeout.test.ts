import http from "node:http";
import type { AddressInfo } from "node:net";
import { loadSyncConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { runSync, type SyncOutcome } from "../../src/sync/run/run-sync.js";
import { fixtureEnv } from "../support/sync-fixture.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/** How one export page request is answered; `page` is the request's `page` parameter. */
type Answer = (response: http.ServerResponse, page: number) => void;

interface RecordedPage {
  readonly page: number;
  readonly query: string;
  /** Resolves when this response has been sent in full (or its connection closed). */
  readonly finished: Promise<void>;
}

interface PageServer {
  readonly url: string;
  readonly pages: RecordedPage[];
  close(): Promise<void>;
}

/** A loopback HTTP server of this test's own: export pages as `answer` says, 404 for anything else. */
async function startPageServer(answer: Answer): Promise<PageServer> {
  const pages: RecordedPage[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/v3/user-export") {
      response.writeHead(404, { "content-type": "application/json" }).end('{"message":"not here"}');
      return;
    }
    const finished = new Promise<void>((resolve) => response.once("close", resolve));
    const recorded = { page: Number(url.searchParams.get("page") ?? "1"), query: url.search, finished };
    pages.push(recorded);
    answer(response, recorded.page);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pages,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

function element(n: number): string {
  const userId = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return JSON.stringify({ user: { user_id: userId, identifiers: { email_address: `u${n}@example.com` } } });
}

/** Writes `head`, then one space every 50 ms, `spaces` times (forever when undefined), then `tail`. */
function trickle(response: http.ServerResponse, head: string, spaces?: number, tail = ""): void {
  if (!response.headersSent) response.writeHead(200, { "content-type": "application/json" });
  response.write(head);
  let sent = 0;
  const timer = setInterval(() => {
    if (spaces !== undefined && sent === spaces) {
      clearInterval(timer);
      response.end(tail);
      return;
    }
    sent += 1;
    response.write(" ");
  }, 50);
  response.once("close", () => {
    clearInterval(timer);
  });
}

function answerInFull(response: http.ServerResponse, body: string): void {
  response.writeHead(200, { "content-type": "application/json" }).end(body);
}

const lastPage = '{"results":[],"meta":{"count":0,"rpp":2,"paginated":true},"links":{"next":null}}';

describe("ZEPHR_PAGE_TIMEOUT: a deadline on each page request, headers and whole body", () => {
  let db: TestDatabase;
  let server: PageServer | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await db.pool.query("truncate zephr.users, zephr.sync_runs cascade");
    await db.pool.query("delete from zephr.sync_watermarks");
  });

  afterAll(async () => {
    await db.drop();
  });

  function run(url: string, env: Record<string, string>): Promise<SyncOutcome> {
    const config = loadSyncConfig(
      fixtureEnv(db.databaseUrl, url, {
        ZEPHR_PAGE_SIZE: "2",
        // Far longer than the trickle's 50 ms gaps: only the page deadline can end these attempts.
        ZEPHR_IDLE_TIMEOUT: "10s",
        ...env,
      }),
    );
    return runSync(
      {
        config,
        pool: db.pool,
        logger: createLogger("silent"),
        now: Date.now,
        sleep: () => Promise.resolve(),
      },
      { kind: "incremental" },
    );
  }

  test("a body that trickles forever is aborted, retried, and the run fails saying what arrived and what to raise", async () => {
    const pageServer = await startPageServer((response, page) => {
      if (page === 1) trickle(response, '{"results":[');
      else answerInFull(response, lastPage);
    });
    server = pageServer;
    const outcome = await run(pageServer.url, { ZEPHR_PAGE_TIMEOUT: "300ms", ZEPHR_RETRIES: "1" });
    expect(outcome.status).toBe("failed");
    if (outcome.status !== "failed") return;
    expect(outcome.error.code).toBe("ZEPHR_TIMEOUT");
    expect(outcome.error.message).toMatch(/within 300ms \(ZEPHR_PAGE_TIMEOUT\): \d+ bytes of its body/);
    expect(outcome.error.message).toContain("raise ZEPHR_PAGE_TIMEOUT");
    expect(pageServer.pages.filter((p) => p.page === 1)).toHaveLength(2);
    const runs = await db.pool.query<{ status: string; error_code: string }>(
      "select status, error_code from zephr.sync_runs",
    );
    expect(runs.rows).toEqual([{ status: "failed", error_code: "ZEPHR_TIMEOUT" }]);
  });

  test("an attempt cut by the deadline is retried like any transient failure, and the retry loads the page", async () => {
    let firstPageAttempts = 0;
    const pageServer = await startPageServer((response, page) => {
      if (page !== 1) {
        answerInFull(response, lastPage);
        return;
      }
      firstPageAttempts += 1;
      if (firstPageAttempts === 1) {
        trickle(response, '{"results":[');
        return;
      }
      answerInFull(
        response,
        `{"results":[${element(1)},${element(2)}],"meta":{"count":2,"rpp":2,"paginated":true},"links":{"next":null}}`,
      );
    });
    server = pageServer;
    const outcome = await run(pageServer.url, { ZEPHR_PAGE_TIMEOUT: "300ms", ZEPHR_RETRIES: "2" });
    expect(outcome.status).toBe("succeeded");
    expect(firstPageAttempts).toBe(2);
    const users = await db.pool.query("select user_id from zephr.users");
    expect(users.rowCount).toBe(2);
  });

  test("a page requested ahead is not timed while it waits for its turn, only while it is read", async () => {
    // Page 1 takes 16 × 50 ms to read; page 2 is requested as soon as page 1's headers arrive, and its
    // body starts only once page 1 has been sent, taking as long again. From its request to its end,
    // page 2 takes well over the deadline; awaiting its headers plus reading its body stays well under.
    const pageServer = await startPageServer((response, page) => {
      const next = (n: number | null) =>
        n === null
          ? '"links":{"next":null}'
          : `"links":{"next":{"url":"${pageServer.url}/v3/user-export?attributes=true&grants=true&rpp=2&page=${n}","page":${n}}}`;
      const meta = '"meta":{"count":3,"rpp":2,"paginated":true}';
      if (page === 1) {
        trickle(response, `{"results":[${element(1)},${element(2)}`, 16, `],${meta},${next(2)}}`);
        return;
      }
      if (page === 2) {
        response.writeHead(200, { "content-type": "application/json" }).flushHeaders();
        const first = pageServer.pages.find((p) => p.page === 1);
        void (first?.finished ?? Promise.resolve()).then(() => {
          trickle(response, `{"results":[${element(3)}`, 16, `],${meta},${next(null)}}`);
        });
        return;
      }
      answerInFull(response, lastPage);
    });
    server = pageServer;
    const outcome = await run(pageServer.url, { ZEPHR_PAGE_TIMEOUT: "1300ms", ZEPHR_RETRIES: "0" });
    if (outcome.status === "failed") throw outcome.error;
    expect(outcome.status).toBe("succeeded");
    const users = await db.pool.query("select user_id from zephr.users");
    expect(users.rowCount).toBe(3);
    expect(pageServer.pages.filter((p) => p.page === 2)).toHaveLength(1);
  });
});
