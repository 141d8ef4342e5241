import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";

import { BodyWriter, type BodyCut } from "./body-writer.js";
import type { FaultKind } from "./fault-queue.js";
import type { SignatureVerifier } from "./signature-verifier.js";

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
  endpoint: { readonly clock: () => number },
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

/** `Date` from the injected clock, as an IMF-fixdate (`Tue, 14 Nov 2023 22:13:20 GMT`). */
export function baseHeaders(
  endpoint: { readonly clock: () => number },
  contentType: string,
): OutgoingHttpHeaders {
  return { "content-type": contentType, date: new Date(endpoint.clock()).toUTCString() };
}

/**
 * Checks the request's ZEPHR-HMAC-SHA256 signature (GET, empty body); when it does not verify, answers
 * 401 with the reason and returns false.
 */
export async function acceptSigned(
  endpoint: { readonly clock: () => number; readonly verifier: SignatureVerifier },
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
