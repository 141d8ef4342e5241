import { FaultQueue } from "./fault-queue.js";
import { formatGrantTime } from "./generate-users.js";
import { listGrants } from "./user-mutations.js";
import type { SimulatorStore } from "./simulator-store.js";

/**
 * The simulated tenant's subscriber state events, served as CSV by
 * `GET /v4/user-export?eventsExport=true&from=…&to=…`. Zephr does not document the columns; these are
 * plausible ones (user_id, event, previous_state, state, product_id, timestamp), and tests may change
 * them, or answer a raw body through `faults` ({ kind: "raw", contentType: "text/csv", … }).
 */

export interface SimulatedStateEvent {
  /** What `from`/`to` select on (ms since the epoch): from ≤ atMs < to. */
  readonly atMs: number;
  /** Column → field text; columns missing here are written as empty fields. */
  readonly row: Readonly<Record<string, string>>;
}

export const defaultStateEventColumns: readonly string[] = [
  "user_id",
  "event",
  "previous_state",
  "state",
  "product_id",
  "timestamp",
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class SimulatorStateEvents {
  /** One-shot misbehaviours of the state events endpoint (same kinds as the user export's). */
  readonly faults = new FaultQueue();
  /** The CSV header, in order. */
  columns: readonly string[] = defaultStateEventColumns;
  /** False: the tenant lacks the export, and the endpoint answers 403. */
  enabled = true;
  readonly #events: SimulatedStateEvent[] = [];

  /** Adds an event; `atMs` defaults to the row's `timestamp` read as UTC. */
  add(row: Readonly<Record<string, string>>, atMs?: number): SimulatedStateEvent {
    const at = atMs ?? Date.parse(`${(row.timestamp ?? "").replace(" ", "T")}Z`);
    if (!Number.isFinite(at)) throw new RangeError("add: give atMs or a row.timestamp YYYY-MM-DD HH:mm:ss");
    const event = { atMs: at, row: { ...row } };
    this.#events.push(event);
    return event;
  }

  /** Forgets every event. */
  clear(): void {
    this.#events.length = 0;
  }

  get size(): number {
    return this.#events.length;
  }

  /** Events with from ≤ atMs < to, oldest first (stable for equal instants). */
  select(fromMs: number, toMs: number): SimulatedStateEvent[] {
    return this.#events
      .filter((event) => event.atMs >= fromMs && event.atMs < toMs)
      .sort((a, b) => a.atMs - b.atMs);
  }

  /**
   * Derives events from the users' grants as a tenant would have logged them: `grant_started`
   * (registered → active) at each grant's start and `grant_expired` (active → lapsed) at each end not
   * after `untilMs`. Returns how many were added.
   */
  seedFromUsers(store: SimulatorStore, untilMs: number): number {
    let added = 0;
    for (const user of store.entries()) {
      for (const grant of listGrants(user.element)) {
        if (!isRecord(grant)) continue;
        const productId = typeof grant.product_id === "string" ? grant.product_id : "";
        const startMs = readGrantTime(grant.startTime);
        const endMs = readGrantTime(grant.endTime);
        if (startMs !== undefined && startMs <= untilMs) {
          this.add(
            eventRow(user.userId, "grant_started", "registered", "active", productId, startMs),
            startMs,
          );
          added += 1;
        }
        if (endMs !== undefined && endMs <= untilMs) {
          this.add(eventRow(user.userId, "grant_expired", "active", "lapsed", productId, endMs), endMs);
          added += 1;
        }
      }
    }
    return added;
  }
}

function eventRow(
  userId: string,
  event: string,
  previousState: string,
  state: string,
  productId: string,
  atMs: number,
): Record<string, string> {
  return {
    user_id: userId,
    event,
    previous_state: previousState,
    state,
    product_id: productId,
    timestamp: formatGrantTime(atMs),
  };
}

function readGrantTime(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(`${value.replace(" ", "T")}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** One CSV field, quoted when it holds a comma, quote, CR or LF (RFC 4180). */
export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
