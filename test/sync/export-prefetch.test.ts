import type { Agent } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { loadSyncConfig } from "../../src/config.js";
import type { SyncError } from "../../src/errors.js";
import { readExportPages, type PageResult } from "../../src/zephr/export/export-pages.js";
import type { ScannedElement } from "../../src/zephr/json/scanned-element.js";
import { createZephrAgent } from "../../src/zephr/http/open-export-page.js";
import { startPagingServer, type PageExchange, type PagingServer } from "../support/paging-server.js";
import { fixtureEnv } from "../support/sync-fixture.js";

/**
 * The export asks for page N+1 as soon as page N's headers arrive, and reads it when its turn comes.
 * Against a scripted server that logs when each request arrives and whether the client closed it; the
 * consumer of the export's events adds what it saw to the same log, so that one list shows the order of
 * both sides.
 */

/** What the test's consumer does with each kind of event (a test may replace any). */
interface Consumer {
  readonly onExportStarted: () => Promise<void>;
  readonly onChunk: (elements: readonly ScannedElement[]) => Promise<void>;
  readonly onPage: (result: PageResult) => Promise<void>;
  readonly onRetry: (page: number, error: SyncError) => void;
}
describe("the export's request ahead for the next page", () => {
  let server: PagingServer | undefined;
  let agent: Agent | undefined;

  afterEach(async () => {
    agent?.destroy();
    await server?.close();
    server = undefined;
  });

  /** Pages of 2 users, each request answered by `script`. */
  async function exportWith(
    script: (exchange: PageExchange, paging: PagingServer) => Promise<void>,
    options: {
      env?: Record<string, string>;
      signal?: AbortSignal;
      hooks?: (paging: PagingServer) => Partial<Consumer>;
    } = {},
  ) {
    const paging = await startPagingServer((exchange) => script(exchange, paging));
    server = paging;
    const { log } = paging;
    const zephr = loadSyncConfig(
      fixtureEnv("postgres://127.0.0.1/unused", paging.url, { ZEPHR_PAGE_SIZE: "2", ...options.env }),
    ).zephr;
    agent = createZephrAgent(zephr.baseUrl, undefined);
    const userIds: string[] = [];
    const hooks: Consumer = {
      onExportStarted: () => {
        log.push("started");
        return Promise.resolve();
      },
      onChunk: (elements) => {
        userIds.push(...elements.map((element) => element.userId ?? "?"));
        return Promise.resolve();
      },
      onPage: (result) => {
        log.push(`page ${result.page}`);
        return Promise.resolve();
      },
      onRetry: (page, error) => log.push(`retry ${page}: ${error.code}`),
      ...options.hooks?.(paging),
    };
    const deps = {
      http: { agent, now: Date.now },
      sleep: () => Promise.resolve(),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const consume = async (): Promise<number> => {
      for await (const event of readExportPages(zephr, {}, deps)) {
        switch (event.type) {
          case "started":
            await hooks.onExportStarted();
            break;
          case "elements":
            await hooks.onChunk(event.elements);
            break;
          case "page":
            await hooks.onPage(event.result);
            break;
          case "retry":
            hooks.onRetry(event.page, event.error);
            break;
          case "end":
            log.push(`stop: ${event.reason}`);
            return event.pages;
        }
      }
      throw new Error("the export's events ended without an end");
    };
    const pages = consume();
    return { pages, userIds, log, paging };
  }

  /** Waits for `entry`, or logs that it never came (the test's expected log then fails; nothing hangs). */
  async function holdUntil(paging: PagingServer, entry: string, timeoutMs = 3000): Promise<void> {
    await paging.waitFor(entry, timeoutMs).catch(() => paging.log.push(`gave up waiting for ${entry}`));
  }

  /** So that only an abort, not ZEPHR_IDLE_TIMEOUT, can close a request within `promptlyMs`. */
  const longIdleTimeout = { ZEPHR_IDLE_TIMEOUT: "30s" };
  const promptlyMs = 2000;

  const hookEntries = (log: readonly string[]) =>
    log.filter((entry) => !/^(request|sent|closed) /.test(entry));
  const requests = (log: readonly string[]) => log.filter((entry) => /^(request|gave up) /.test(entry));
  const count = (log: readonly string[], entry: string) => log.filter((e) => e === entry).length;
  const expectBefore = (log: readonly string[], first: string, second: string) => {
    expect(log).toContain(first);
    expect(log).toContain(second);
    expect(log.indexOf(first)).toBeLessThan(log.indexOf(second));
  };

  test("page N+1 is requested before page N's body has been read, and the hooks still see page after page", async () => {
    const { pages, userIds, log } = await exportWith(async (exchange, paging) => {
      // Each page's body waits until the next page is asked for: a client that reads a page before
      // asking for the next one never gets it.
      exchange.sendHeaders();
      if (exchange.page < 3) await holdUntil(paging, `request ${exchange.page + 1}`);
      await exchange.sendPage(exchange.page < 3 ? 2 : exchange.page === 3 ? 1 : 0);
    });

    expect(await pages).toBe(3);
    expect(log).not.toContainEqual(expect.stringMatching(/^gave up/));
    expectBefore(log, "request 2", "sent 1");
    expectBefore(log, "request 3", "sent 2");
    expect(userIds).toEqual(["user-1-0", "user-1-1", "user-2-0", "user-2-1", "user-3-0"]);
    expect(hookEntries(log)).toEqual(["started", "page 1", "page 2", "page 3", "stop: short page"]);
    expect(count(log, "request 2")).toBe(1);
    expect(count(log, "request 3")).toBe(1);
  });

  test("no more than one page is requested ahead, however fast the server answers", async () => {
    let requestedWhilePage1WasHandedOn: string[] = [];
    const { pages, log } = await exportWith((exchange) => exchange.sendPage(exchange.page <= 3 ? 2 : 0), {
      hooks: (paging) => ({
        onPage: async (result) => {
          if (result.page === 1) {
            // Page 2's whole answer is on its way: a client that asked for the page after it on
            // receiving its headers would have done so by now.
            await paging.waitFor("sent 2");
            await delay(150);
            requestedWhilePage1WasHandedOn = requests(paging.log);
          }
          paging.log.push(`page ${result.page}`);
        },
      }),
    });

    expect(await pages).toBe(4);
    expect(requestedWhilePage1WasHandedOn).toEqual(["request 1", "request 2"]);
    expectBefore(log, "page 1", "request 3");
    expectBefore(log, "page 2", "request 4");
    expect(hookEntries(log)).toEqual(["started", "page 1", "page 2", "page 3", "page 4", "stop: empty page"]);
  });

  test("nothing is requested ahead beyond ZEPHR_MAX_PAGES", async () => {
    const { pages, log } = await exportWith(
      async (exchange, paging) => {
        exchange.sendHeaders();
        // Page 2's body waits a while for a request for page 3, which would come at once if it came.
        if (exchange.page === 2) await holdUntil(paging, "request 3", 300);
        await exchange.sendPage(2);
      },
      { env: { ZEPHR_MAX_PAGES: "2" } },
    );

    await expect(pages).rejects.toMatchObject({ code: "EXPORT_TOO_MANY_PAGES" });
    expect(requests(log)).toEqual(["request 1", "request 2", "gave up waiting for request 3"]);
  });

  test.each([
    [
      "answered its headers and holds its body",
      (exchange: PageExchange) => {
        exchange.sendHeaders();
      },
    ],
    ["has not answered at all", () => undefined],
  ])(
    "the request for the page after the last, which %s, is aborted when paging stops",
    async (_name, answerAfterLast) => {
      const { pages, log, paging } = await exportWith(
        async (exchange, current) => {
          if (exchange.page === 3) {
            answerAfterLast(exchange);
            return;
          }
          // The last page waits until the server has the request after it, which is then sure to arrive.
          exchange.sendHeaders();
          if (exchange.page === 2) await holdUntil(current, "request 3");
          await exchange.sendPage(exchange.page === 1 ? 2 : 1);
        },
        { env: longIdleTimeout },
      );

      expect(await pages).toBe(2);
      await paging.waitFor("closed 3", promptlyMs);
      expect(hookEntries(log)).toEqual(["started", "page 1", "page 2", "stop: short page"]);
    },
  );

  test.each([503, 401])(
    "a %i for the page after the last is neither retried nor reported",
    async (status) => {
      const { pages, log } = await exportWith(async (exchange, paging) => {
        if (exchange.page === 3) return exchange.sendStatus(status);
        // The last page waits until the failure after it has been answered.
        exchange.sendHeaders();
        if (exchange.page === 2) await holdUntil(paging, "sent 3");
        await exchange.sendPage(exchange.page === 1 ? 2 : 0);
      });

      expect(await pages).toBe(2);
      expect(hookEntries(log)).toEqual(["started", "page 1", "page 2", "stop: empty page"]);
      expect(count(log, "request 3")).toBe(1);
    },
  );

  test("the request ahead is aborted when the export fails", async () => {
    const { pages, log, paging } = await exportWith(
      async (exchange, current) => {
        exchange.sendHeaders();
        if (exchange.page !== 1) return;
        await holdUntil(current, "request 2");
        await exchange.sendMalformed();
      },
      { env: longIdleTimeout },
    );

    await expect(pages).rejects.toMatchObject({ code: "EXPORT_MALFORMED" });
    await paging.waitFor("closed 2", promptlyMs);
    expect(hookEntries(log)).toEqual(["started"]);
  });

  test("the request ahead is aborted as soon as the run's signal is, while a hook is still busy", async () => {
    const controller = new AbortController();
    let closedWhileHookBusy = false;
    const { pages } = await exportWith(
      async (exchange, paging) => {
        exchange.sendHeaders();
        if (exchange.page !== 1) return;
        await holdUntil(paging, "request 2");
        await exchange.sendPage(2);
      },
      {
        env: longIdleTimeout,
        signal: controller.signal,
        hooks: (paging) => ({
          onChunk: async () => {
            if (controller.signal.aborted) return;
            controller.abort();
            await paging.waitFor("closed 2", promptlyMs);
            closedWhileHookBusy = true;
          },
        }),
      },
    );

    await expect(pages).rejects.toMatchObject({ name: "AbortError" });
    expect(closedWhileHookBusy).toBe(true);
  });

  test.each([
    ["a 503", "ZEPHR_UNAVAILABLE", (exchange: PageExchange) => exchange.sendStatus(503)],
    ["a reset mid-body", "ZEPHR_NETWORK", (exchange: PageExchange) => exchange.sendPartialThenReset()],
  ])(
    "%s for a page requested ahead counts as its first attempt and is retried at its turn",
    async (_name, code, fail) => {
      const { pages, userIds, log } = await exportWith(async (exchange, paging) => {
        if (exchange.page === 2 && exchange.attempt === 1) return fail(exchange);
        exchange.sendHeaders();
        if (exchange.page === 1) await holdUntil(paging, "request 2");
        await exchange.sendPage(exchange.page === 1 ? 2 : exchange.page === 2 ? 1 : 0);
      });

      expect(await pages).toBe(2);
      expect(hookEntries(log)).toEqual([
        "started",
        "page 1",
        `retry 2: ${code}`,
        "page 2",
        "stop: short page",
      ]);
      expect(count(log, "request 2")).toBe(2);
      expectBefore(log, "request 2", "sent 1");
      // The second attempt waited for page 2's turn.
      expect(log.lastIndexOf("request 2")).toBeGreaterThan(log.indexOf("page 1"));
      expect(userIds).toEqual(["user-1-0", "user-1-1", "user-2-0"]);
    },
  );

  test("a non-transient failure of a page requested ahead fails the export at its turn, not before", async () => {
    const { pages, userIds, log } = await exportWith((exchange) =>
      exchange.page === 2 ? exchange.sendStatus(401) : exchange.sendPage(2),
    );

    await expect(pages).rejects.toMatchObject({ code: "ZEPHR_AUTH" });
    expect(hookEntries(log)).toEqual(["started", "page 1"]);
    expect(count(log, "request 2")).toBe(1);
    expect(userIds).toEqual(["user-1-0", "user-1-1"]);
  });

  test("a retry of page N leaves the request ahead for page N+1 alone", async () => {
    const { pages, userIds, log } = await exportWith(async (exchange, paging) => {
      if (exchange.page === 1 && exchange.attempt === 1) {
        exchange.sendHeaders();
        await holdUntil(paging, "request 2");
        return exchange.sendPartialThenReset();
      }
      await exchange.sendPage(exchange.page === 1 ? 2 : exchange.page === 2 ? 1 : 0);
    });

    expect(await pages).toBe(2);
    expect(hookEntries(log)).toEqual([
      "started",
      "retry 1: ZEPHR_NETWORK",
      "page 1",
      "page 2",
      "stop: short page",
    ]);
    expect(count(log, "request 1")).toBe(2);
    expect(count(log, "request 2")).toBe(1);
    expect(userIds).toEqual(["user-1-0", "user-1-1", "user-2-0"]);
  });

  test("a page that waits for its turn longer than ZEPHR_IDLE_TIMEOUT is not timed out", async () => {
    const { pages, log } = await exportWith(
      (exchange) => exchange.sendPage(exchange.page === 1 ? 2 : exchange.page === 2 ? 1 : 0),
      {
        env: { ZEPHR_IDLE_TIMEOUT: "200ms" },
        hooks: (paging) => ({
          onPage: async (result) => {
            // Page 2's answer is all there, and its connection silent, for three idle timeouts.
            if (result.page === 1) await delay(600);
            paging.log.push(`page ${result.page}`);
          },
        }),
      },
    );

    expect(await pages).toBe(2);
    expect(hookEntries(log)).toEqual(["started", "page 1", "page 2", "stop: short page"]);
    expect(count(log, "request 2")).toBe(1);
  });
});
