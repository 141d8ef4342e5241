import { BodyWriter, type BodyCut } from "./body-writer.js";
import { baseHeaders, acceptSigned, sendJson, type Exchange, type ResponseClock } from "./exchange.js";
import type { ExportShape } from "./export-shape.js";
import type { FaultQueue } from "./fault-queue.js";
import { answerFault } from "./answer-fault.js";
import { findRequestedPage, parseExportRequestQuery } from "./parse-export-request-query.js";
import type { SignatureVerifier } from "./signature-verifier.js";
import type { SimulatorStore } from "./simulator-store.js";
import { writeExportBody, type ExportEnvelope } from "./write-export-body.js";

/** Everything the export endpoint needs from the simulator, fixed for its lifetime. */
export interface ExportEndpoint extends ResponseClock {
  readonly store: SimulatorStore;
  readonly faults: FaultQueue;
  readonly verifier: SignatureVerifier;
  readonly envelope: ExportEnvelope;
  readonly shape: ExportShape;
  readonly sinceInclusive: boolean;
  readonly nestedGroupSize: number;
  /** `http://host:port`, for `links.*.url`. */
  readonly baseUrl: string;
}

/** `GET /v3/user-export`: faults first, then signature, query, and the streamed page. */
export async function handleExportRequest(endpoint: ExportEndpoint, exchange: Exchange): Promise<void> {
  const taken = endpoint.faults.take(findRequestedPage(exchange.rawQuery), exchange.rawQuery);
  // A hook changes the store and is recorded, but the request is answered as usual.
  if (taken?.kind === "hook") taken.run();
  const fault = taken?.kind === "hook" ? undefined : taken;
  if (fault !== undefined && answerFault(endpoint, exchange, fault, "application/json")) return;
  const cut: BodyCut | undefined =
    fault?.kind === "drop" || fault?.kind === "truncate" || fault?.kind === "stall" ? fault : undefined;

  if (!(await acceptSigned(endpoint, exchange, cut, taken?.kind))) return;

  const parsed = parseExportRequestQuery(exchange.rawQuery);
  if (!parsed.ok) {
    await sendJson(endpoint, exchange, 400, { message: parsed.message }, cut, taken?.kind);
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
  exchange.record(200, taken?.kind);
  await writeExportBody(new BodyWriter(exchange.res, cut, exchange.signal), {
    selection,
    query,
    envelope: endpoint.envelope,
    shape: endpoint.shape,
    nestedGroupSize: endpoint.nestedGroupSize,
    baseUrl: endpoint.baseUrl,
    path: exchange.path,
    rawQuery: exchange.rawQuery,
  });
}
