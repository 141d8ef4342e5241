import type { OutgoingHttpHeaders } from "node:http";

import { BodyWriter, type BodyCut } from "./body-writer.js";
import { baseHeaders, acceptSigned, sendJson, type Exchange } from "./exchange.js";
import type { Fault, FaultKind, FaultQueue } from "./fault-queue.js";
import { findRequestedPage, parseExportRequestQuery } from "./parse-export-request-query.js";
import type { SignatureVerifier } from "./signature-verifier.js";
import type { SimulatorStore } from "./simulator-store.js";
import { writeExportBody, type ExportEnvelope } from "./write-export-body.js";

/** Everything the export endpoint needs from the simulator, fixed for its lifetime. */
export interface ExportEndpoint {
  readonly store: SimulatorStore;
  readonly faults: FaultQueue;
  readonly verifier: SignatureVerifier;
  readonly clock: () => number;
  readonly envelope: ExportEnvelope;
  readonly ignorePaging: boolean;
  readonly lastPageNext: "absent" | "null";
  readonly sinceInclusive: boolean;
  readonly nestedGroupSize: number;
  /** `http://host:port`, for `links.*.url`. */
  readonly baseUrl: string;
}

/** `GET /v3/user-export`: faults first, then signature, query, and the streamed page. */
export async function handleExportRequest(endpoint: ExportEndpoint, exchange: Exchange): Promise<void> {
  const fault = endpoint.faults.take(findRequestedPage(exchange.rawQuery), exchange.rawQuery);
  if (fault !== undefined && answerFault(endpoint, exchange, fault)) return;
  const cut: BodyCut | undefined =
    fault?.kind === "drop" || fault?.kind === "truncate" || fault?.kind === "stall" ? fault : undefined;

  if (!(await acceptSigned(endpoint, exchange, cut, fault?.kind))) return;

  const parsed = parseExportRequestQuery(exchange.rawQuery);
  if (!parsed.ok) {
    await sendJson(endpoint, exchange, 400, { message: parsed.message }, cut, fault?.kind);
    return;
  }
  const { query } = parsed;
  const selection = endpoint.store.select({
    sinceInclusive: endpoint.sinceInclusive,
    ...(query.sinceMs === undefined ? {} : { sinceMs: query.sinceMs }),
    ...(query.registeredSinceMs === undefined ? {} : { registeredSinceMs: query.registeredSinceMs }),
    ...(query.registeredBeforeMs === undefined ? {} : { registeredBeforeMs: query.registeredBeforeMs }),
  });

  exchange.res.writeHead(200, baseHeaders(endpoint, "application/json"));
  exchange.record(200, fault?.kind);
  await writeExportBody(new BodyWriter(exchange.res, cut, exchange.signal), {
    selection,
    query,
    envelope: endpoint.envelope,
    ignorePaging: endpoint.ignorePaging,
    lastPageNext: endpoint.lastPageNext,
    nestedGroupSize: endpoint.nestedGroupSize,
    pageUrlBase: `${endpoint.baseUrl}${exchange.path}`,
    rawQuery: exchange.rawQuery,
  });
}

/** Answers the faults that replace the response entirely; false for those that only cut the body. */
function answerFault(endpoint: ExportEndpoint, exchange: Exchange, fault: Fault): boolean {
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
      answer(exchange, 200, baseHeaders(endpoint, "application/json"), "", fault.kind);
      return true;
    case "raw":
      answer(
        exchange,
        fault.status,
        baseHeaders(endpoint, fault.contentType ?? "application/json"),
        fault.body,
        fault.kind,
      );
      return true;
    case "drop":
    case "truncate":
    case "stall":
      return false;
  }
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
