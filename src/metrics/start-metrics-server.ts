import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { SyncMetrics } from "./sync-metrics.js";

export interface MetricsServerOptions {
  /** Interface to bind: "0.0.0.0" in a container, "127.0.0.1" in tests. */
  readonly host: string;
  /** 0 picks a free port (read it from `url`). */
  readonly port: number;
  readonly metrics: SyncMetrics;
  /** Resolves when the database answers; /healthz is 503 when it rejects or takes longer than pingTimeoutMs. */
  readonly pingDatabase: () => Promise<void>;
  /** Default 2000 (ms). */
  readonly pingTimeoutMs?: number;
  readonly logger: Logger;
}

export interface MetricsServer {
  /** http://HOST:PORT, no trailing slash. */
  readonly url: string;
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz` (200 JSON {status, lastSuccessAt, running}; 503 when the database is unreachable)
 * and `GET /metrics` (Prometheus text of the scheduler's own registry).
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handleRequest(options, req, res).catch((error: unknown) => {
      options.logger.error({ err: describeError(error), path: req.url }, "metrics endpoint failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("internal error\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => {
    options.logger.error({ err: error.message }, "metrics server error");
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  options.logger.info({ host: address.address, port: address.port }, "serving /healthz and /metrics");
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function handleRequest(
  options: MetricsServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (path !== "/healthz" && path !== "/metrics") {
    sendJson(res, 404, { message: `No route for ${path}: try /healthz or /metrics.` });
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    sendJson(res, 405, { message: `${req.method ?? "?"} is not allowed on ${path}; use GET.` });
    return;
  }
  if (path === "/metrics") {
    const text = await options.metrics.registry.metrics();
    res.writeHead(200, { "content-type": options.metrics.registry.contentType });
    res.end(req.method === "HEAD" ? undefined : text);
    return;
  }
  const state = {
    lastSuccessAt: options.metrics.lastSuccessAt?.toISOString() ?? null,
    running: options.metrics.running,
  };
  try {
    await withTimeout(options.pingDatabase(), options.pingTimeoutMs ?? 2000);
    sendJson(res, 200, { status: "ok", ...state });
  } catch (error) {
    sendJson(res, 503, {
      status: "unavailable",
      error: `database unreachable: ${describeError(error)}`,
      ...state,
    });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${timeoutMs}ms`));
    }, timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
