import { createHash } from "node:crypto";
import type { CsvRow } from "../../zephr/export/state-events-export.js";
import { parseInstant } from "../normalize/parse-instant.js";

/** One state event as zephr.user_state_events stores it (JSON field names = column names). */
export interface StateEventRecord {
  /** SHA-256 of the canonical JSON of the row, hex: the deduplication key. */
  readonly row_hash: string;
  readonly user_id: string | null;
  readonly event_type: string | null;
  readonly state: string | null;
  readonly previous_state: string | null;
  readonly product_id: string | null;
  /** UTC ISO 8601. */
  readonly occurred_at: string | null;
  readonly row: CsvRow;
}

/**
 * Zephr does not document the CSV's columns: these are the headers we recognise, compared without case
 * or punctuation (`User ID`, `user_id` and `userId` are all `userid`), first match wins.
 */
const recognised = {
  user_id: ["userid", "subscriberid"],
  event_type: ["event", "eventtype", "eventname", "type"],
  state: ["state", "newstate", "tostate", "currentstate", "subscriberstate", "status"],
  previous_state: ["previousstate", "oldstate", "fromstate", "priorstate"],
  product_id: ["productid"],
  occurred_at: [
    "timestamp",
    "eventtime",
    "eventtimestamp",
    "occurredat",
    "createdat",
    "eventdate",
    "datetime",
    "date",
    "time",
  ],
} as const;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function squash(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The row as canonical JSON: keys sorted by code unit, so column order never makes a row "new". */
export function canonicalRowJson(row: CsvRow): string {
  const keys = Object.keys(row).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(row[key])}`).join(",")}}`;
}

/** Epoch seconds (10 digits) or milliseconds (13 digits), else an instant read by parseInstant. */
function parseOccurredAt(text: string, timeZone: string): string | null {
  const trimmed = text.trim();
  if (/^\d{10}$/.test(trimmed)) return new Date(Number(trimmed) * 1000).toISOString();
  if (/^\d{13}$/.test(trimmed)) return new Date(Number(trimmed)).toISOString();
  return parseInstant(trimmed, timeZone) ?? null;
}

/** Maps one CSV row to its stored form; never fails (unreadable typed columns become null). */
export function normalizeStateEvent(row: CsvRow, timeZone: string): StateEventRecord {
  const bySquashed = new Map<string, string>();
  for (const key of Object.keys(row)) {
    const squashed = squash(key);
    const value = row[key];
    if (value !== undefined && !bySquashed.has(squashed)) bySquashed.set(squashed, value);
  }
  const pick = (candidates: readonly string[]): string | null => {
    for (const candidate of candidates) {
      const value = bySquashed.get(candidate)?.trim();
      if (value !== undefined && value !== "") return value;
    }
    return null;
  };
  const userId = pick(recognised.user_id);
  const occurredAt = pick(recognised.occurred_at);
  return {
    row_hash: createHash("sha256").update(canonicalRowJson(row)).digest("hex"),
    user_id: userId !== null && uuidPattern.test(userId) ? userId.toLowerCase() : null,
    event_type: pick(recognised.event_type),
    state: pick(recognised.state),
    previous_state: pick(recognised.previous_state),
    product_id: pick(recognised.product_id),
    occurred_at: occurredAt === null ? null : parseOccurredAt(occurredAt, timeZone),
    row,
  };
}
