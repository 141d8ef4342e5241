import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";

import { BodyWriter, type BodyCut } from "./body-writer.js";
import type { FaultKind } from "./fault-queue.js";
import type { SignatureVerifier } from "./signature-verifier.js";

/**
 * What a response's `Date` header says: the injected clock ("ok"), nothing ("missing"), or the clock
 * off by `skewMs` (a server, proxy or cache whose clock is wrong; the signature check keeps the true clock).
 */
export type DateHeader = "ok" | "missing" | { readonly skewMs: number };

/** The clock behind every response, and how its `Date` header is written (default "ok"). */
export interface ResponseClock {
  readonly clock: () => number;
  readonly dateHeader?: DateHeader;
}

/** One request/response pair, its target already split into the raw path and raw query. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  /** Aborts when the connection closes or the simulator shuts down. */
  readonly signal: AbortSignal;
  /** Records the status answered (0: none, the connection was reset) and the fault applied, if any. */
  readonly record: (status: number, fault?: FaultKind) => void;
}

/** A small JSON answer, still subject to a body-cutting fault. */
export async function sendJson(
  endpoint: ResponseClock,
  exchange: Exchange,
  status: number,
  body: unknown,
  cut?: BodyCut,
  fault?: FaultKind,
): Promise<void> {
  exchange.res.writeHead(status, baseHeaders(endpoint, "application/json"));
  exchange.record(status, fault);
  const writer = new BodyWriter(exchange.res, cut, exchange.signal);
  writer.push(JSON.stringify(body));
  await writer.end();
}

/**
 * `Date` from the injected clock, as an IMF-fixdate (`Tue, 14 Nov 2023 22:13:20 GMT`), shifted or left
 * out as `endpoint.dateHeader` says. Node adds no `Date` of its own: the server sets `sendDate = false`.
 */
export function baseHeaders(endpoint: ResponseClock, contentType: string): OutgoingHttpHeaders {
  const dateHeader = endpoint.dateHeader ?? "ok";
  if (dateHeader === "missing") return { "content-type": contentType };
  const skewMs = dateHeader === "ok" ? 0 : dateHeader.skewMs;
  return { "content-type": contentType, date: new Date(endpoint.clock() + skewMs).toUTCString() };
}

/**
 * Checks the request's ZEPHR-HMAC-SHA256 signature (GET, empty body); when it does not verify, answers
 * 401 with the reason and returns false.
 */
export async function acceptSigned(
  endpoint: ResponseClock & { readonly verifier: SignatureVerifier },
  exchange: Exchange,
  cut?: BodyCut,
  fault?: FaultKind,
): Promise<boolean> {
  const check = endpoint.verifier.verify(exchange.req.headers.authorization, {
    method: exchange.method,
    path: exchange.path,
    query: exchange.rawQuery,
    body: "",
  });
  if (check.ok) return true;
  await sendJson(endpoint, exchange, 401, { message: check.reason }, cut, fault);
  return false;
}
