import { BodyWriter, type BodyCut } from "./body-writer.js";
import { baseHeaders, acceptSigned, sendJson, type Exchange, type ResponseClock } from "./exchange.js";
import { answerFault } from "./answer-fault.js";
import type { SignatureVerifier } from "./signature-verifier.js";
import { formatCsvField, type SimulatorStateEvents } from "./state-events-store.js";

/** What the state events endpoint needs from the simulator. */
export interface StateEventsEndpointContext extends ResponseClock {
  readonly stateEvents: SimulatorStateEvents;
  readonly verifier: SignatureVerifier;
}

/** An ISO-8601 instant with a zone, as `since` takes. */
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * `GET /v4/user-export?eventsExport=true&from=…&to=…`: faults first, then the signature, then the
 * query (from and to required), then the events of [from, to) as CSV (`text/csv`), streamed.
 */
export async function handleStateEventsRequest(
  context: StateEventsEndpointContext,
  exchange: Exchange,
): Promise<void> {
  const fault = context.stateEvents.faults.take(1);
  if (fault !== undefined && answerFault(context, exchange, fault, "text/csv")) return;
  const cut: BodyCut | undefined =
    fault?.kind === "drop" || fault?.kind === "truncate" || fault?.kind === "stall" ? fault : undefined;

  if (!(await acceptSigned(context, exchange, cut, fault?.kind))) return;
  if (!context.stateEvents.enabled) {
    await sendJson(context, exchange, 403, {
      message: "The subscriber state events export is not enabled for this tenant.",
    });
    return;
  }
  const params = new URLSearchParams(exchange.rawQuery);
  const problems: string[] = [];
  const instant = (name: string): number => {
    const value = params.get(name);
    const ms = value !== null && instantPattern.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) problems.push(`${name} must be an ISO-8601 instant, got ${JSON.stringify(value)}.`);
    return ms;
  };
  const fromMs = instant("from");
  const toMs = instant("to");
  if (problems.length > 0) {
    await sendJson(context, exchange, 400, { message: problems.join(" ") }, cut, fault?.kind);
    return;
  }

  exchange.res.writeHead(200, baseHeaders(context, "text/csv; charset=utf-8"));
  exchange.record(200, fault?.kind);
  const writer = new BodyWriter(exchange.res, cut, exchange.signal);
  const columns = context.stateEvents.columns;
  writer.push(columns.map(formatCsvField).join(",") + "\r\n");
  for (const event of context.stateEvents.select(fromMs, toMs)) {
    writer.push(columns.map((column) => formatCsvField(event.row[column] ?? "")).join(",") + "\r\n");
    if (writer.shouldFlush && !(await writer.flush())) return;
  }
  await writer.end();
}
