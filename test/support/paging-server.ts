import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { waitFor } from "./wait-for.js";

/** One request for an export page, to be answered by the test's script. */
export interface PageExchange {
  readonly page: number;
  /** 1 for the first request for this page, 2 for the next… */
  readonly attempt: number;
  /** Sends 200 and the headers, and nothing of the body yet. */
  sendHeaders(): void;
  /** Sends (after the headers, if not sent yet) a bare JSON array of `users` elements, and ends. */
  sendPage(users: number): Promise<void>;
  /** Sends 200 and a body that is not JSON (a non-transient failure once read). */
  sendMalformed(): Promise<void>;
  /** Answers `status` with a small JSON error body. */
  sendStatus(status: number): Promise<void>;
  /** Sends the headers and half an element, then resets the connection (a transient failure). */
  sendPartialThenReset(): Promise<void>;
}

/**
 * A user-export server on loopback whose every answer the test scripts, logging when each request
 * arrives and whether the client closed it: what the simulator's record of answers cannot tell. Tests
 * add their own entries (what the hooks saw) to `log`, so that one list shows the order of both sides.
 */
export interface PagingServer {
  readonly url: string;
  /**
   * In order: `request N` when a request for page N arrives, `sent N` once its answer is written in
   * full, `closed N` when the client closed the connection before that.
   */
  readonly log: string[];
  /** Resolves once `entry` is in the log; fails after `timeoutMs`. */
  waitFor(entry: string, timeoutMs?: number): Promise<void>;
  /** Closes every connection still open. */
  close(): Promise<void>;
}

/** The element a page carries at `index`: a user whose id names its page. */
export function pageUserId(page: number, index: number): string {
  return `user-${page}-${index}`;
}

export async function startPagingServer(
  answer: (exchange: PageExchange) => Promise<void>,
): Promise<PagingServer> {
  const log: string[] = [];
  const attempts = new Map<number, number>();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const page = Number(new URL(req.url ?? "/", "http://localhost").searchParams.get("page") ?? "1");
    const attempt = (attempts.get(page) ?? 0) + 1;
    attempts.set(page, attempt);
    log.push(`request ${page}`);
    res.once("finish", () => log.push(`sent ${page}`));
    res.once("close", () => {
      if (!res.writableFinished) log.push(`closed ${page}`);
    });
    req.resume();
    answer(scriptedExchange(page, attempt, res)).catch(() => {
      // The client went away mid-answer: `closed N` says so.
      res.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    waitFor: (entry, timeoutMs = 5000) =>
      waitFor(
        () => `"${entry}" in ${JSON.stringify(log)}`,
        () => log.includes(entry),
        timeoutMs,
      ).then(() => undefined),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

function scriptedExchange(page: number, attempt: number, res: ServerResponse): PageExchange {
  const sendHeaders = () => {
    if (!res.headersSent) {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
    }
  };
  const endWith = (body: string) =>
    new Promise<void>((resolve) => {
      res.end(body, () => {
        resolve();
      });
    });
  const elements = (users: number) =>
    Array.from({ length: users }, (_, index) =>
      JSON.stringify({ user: { user_id: pageUserId(page, index) } }),
    );
  return {
    page,
    attempt,
    sendHeaders,
    async sendPage(users) {
      sendHeaders();
      if (!res.write(`[${elements(users).join(",")}]`)) await once(res, "drain");
      res.end();
    },
    sendMalformed() {
      sendHeaders();
      return endWith("[{ this is not JSON");
    },
    sendStatus(status) {
      res.writeHead(status, { "content-type": "application/json" });
      return endWith(JSON.stringify({ message: `status ${status}` }));
    },
    async sendPartialThenReset() {
      sendHeaders();
      const half = `[${elements(1).join(",")}`.slice(0, 20);
      await new Promise<void>((resolve) => {
        res.write(half, () => {
          resolve();
        });
      });
      res.socket?.resetAndDestroy();
    },
  };
}
