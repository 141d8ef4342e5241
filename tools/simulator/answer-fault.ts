import type { OutgoingHttpHeaders } from "node:http";

import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";

import { baseHeaders, type Exchange, type ResponseClock } from "./exchange.js";
import type { Fault, FaultKind, TrickleFault } from "./fault-queue.js";

/**
 * Answers the faults that replace the response entirely; false for those that only cut the body.
 * `contentType` is what the endpoint normally serves (an empty or raw answer claims it).
 */
export function answerFault(
  endpoint: ResponseClock,
  exchange: Exchange,
  fault: Fault,
  contentType: string,
): boolean {
  switch (fault.kind) {
    case "refuse":
      exchange.record(0, fault.kind);
      exchange.req.socket.resetAndDestroy();
      return true;
    case "status": {
      const body =
        typeof fault.body === "string"
          ? fault.body
          : JSON.stringify(fault.body ?? { message: defaultStatusMessages[fault.status] });
      const headers = baseHeaders(endpoint, "application/json");
      if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
      answer(exchange, fault.status, headers, body, fault.kind);
      return true;
    }
    case "html":
      answer(exchange, 200, baseHeaders(endpoint, "text/html; charset=utf-8"), htmlErrorPage, fault.kind);
      return true;
    case "empty":
      answer(exchange, 200, baseHeaders(endpoint, contentType), "", fault.kind);
      return true;
    case "raw":
      answer(
        exchange,
        fault.status,
        baseHeaders(endpoint, fault.contentType ?? contentType),
        fault.body,
        fault.kind,
      );
      return true;
    case "trickle":
      void trickle(exchange, baseHeaders(endpoint, contentType), fault);
      return true;
    case "hook":
      fault.run();
      return false;
    case "drop":
    case "truncate":
    case "stall":
      return false;
  }
}

/** Writes the prefix, then a space per interval until the exchange is aborted. Never rejects. */
async function trickle(exchange: Exchange, headers: OutgoingHttpHeaders, fault: TrickleFault): Promise<void> {
  const { res, signal } = exchange;
  res.writeHead(200, headers);
  exchange.record(200, fault.kind);
  res.write(fault.prefix ?? '{"results":[');
  try {
    while (!signal.aborted && !res.destroyed) {
      await delay(fault.intervalMs, undefined, { signal });
      if (!res.write(" ")) await once(res, "drain", { signal });
    }
  } catch {
    // Aborted: the client went away or the simulator closed, which is how a trickle ends.
  }
  if (!res.destroyed) res.destroy();
}

function answer(
  exchange: Exchange,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string | Uint8Array,
  fault?: FaultKind,
): void {
  headers["content-length"] = Buffer.byteLength(body);
  exchange.res.writeHead(status, headers);
  exchange.record(status, fault);
  exchange.res.end(body);
}

const defaultStatusMessages: Record<number, string> = {
  400: "Bad request.",
  401: "Unauthorized: invalid credentials or signature.",
  403: "Forbidden: the key pair's admin user lacks the privilege to export users.",
  404: "Not found.",
  429: "Too many requests.",
  500: "Internal server error.",
  502: "Bad gateway.",
  503: "Service temporarily unavailable.",
  504: "Gateway timeout.",
};

const htmlErrorPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>502 Bad Gateway</title></head>
<body>
<h1>Bad Gateway</h1>
<p>The upstream server returned an invalid response. Please try again later.</p>
<hr><address>nginx</address>
</body>
</html>
`;
