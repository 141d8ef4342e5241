import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CsvError, parse } from "csv-parse";
import { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";
import { formatInstant } from "./export-query.js";
import { describeRequestUrl } from "../http/describe-request-url.js";
import { openSignedGet, type HttpDeps } from "../http/open-export-page.js";

/**
 * The subscriber (state) events export: `GET /v4/user-export?eventsExport=true&from=…&to=…`, documented
 * as CSV with undocumented columns. Rows come out keyed by the header, every column kept as text.
 */

export const stateEventsPath = "/v4/user-export";

/** One request's range, ms since the epoch: from inclusive, to exclusive [inferred]. */
export interface StateEventsWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** A CSV row: header → field text. Own properties only (a `__proto__` header is an ordinary key). */
export type CsvRow = Readonly<Record<string, string>>;

/**
 * The query exactly as sent and signed: `eventsExport=true&from=…&to=…`, instants written like `since`
 * (ZEPHR_INSTANT_PRECISION) and percent-encoded once.
 */
export function buildStateEventsQuery(
  window: StateEventsWindow,
  precision: ZephrConfig["instantPrecision"],
): string {
  const parts: [string, string][] = [
    ["eventsExport", "true"],
    ["from", formatInstant(window.fromMs, precision)],
    ["to", formatInstant(window.toMs, precision)],
  ];
  return parts.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join("&");
}

/** PostgreSQL stores no NUL in text or jsonb. */
function storable(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}

/**
 * Column names from the header record: trimmed; blank ones become `column_<n>` (1-based position) and
 * repeated ones get `_2`, `_3`…, so that no column is lost.
 */
export function buildColumnNames(header: readonly string[]): string[] {
  const used = new Set<string>();
  return header.map((raw, index) => {
    const base = storable(raw.trim()) || `column_${index + 1}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

/** A record keyed by the column names; fields beyond the header become `column_<n>`. */
export function buildCsvRow(columns: readonly string[], record: readonly string[]): CsvRow {
  const row: Record<string, string> = {};
  record.forEach((field, index) => {
    let name = columns[index] ?? `column_${index + 1}`;
    while (index >= columns.length && Object.hasOwn(row, name)) name = `${name}_extra`;
    Object.defineProperty(row, name, {
      value: storable(field),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return row;
}

export interface StreamStateEventsDeps {
  readonly http: HttpDeps;
  readonly signal?: AbortSignal | undefined;
}

export interface StreamedStateEvents {
  readonly rows: number;
  readonly bytes: number;
  /** The column names (empty when the body was empty). */
  readonly columns: readonly string[];
}

/**
 * Fetches one window of the state events export and streams its CSV rows to `onRows` in groups of at
 * most `batchRows`, waiting for each (backpressure: the body is not read meanwhile). An empty body or a
 * header alone means no events. Throws SyncError: ZEPHR_* from the request, EXPORT_MALFORMED for CSV
 * that cannot be parsed (with the line).
 */
export async function streamStateEvents(
  zephr: ZephrConfig,
  deps: StreamStateEventsDeps,
  window: StateEventsWindow,
  batchRows: number,
  onRows: (rows: CsvRow[], bytes: number) => Promise<void>,
): Promise<StreamedStateEvents> {
  const query = buildStateEventsQuery(window, zephr.instantPrecision);
  const opened = await openSignedGet(zephr, deps.http, stateEventsPath, query, deps.signal, "csv");
  let bytes = 0;
  let bytesReported = 0;
  let rows = 0;
  let columns: string[] | undefined;
  async function* countBytes(): AsyncGenerator<Buffer> {
    for await (const chunk of opened.body) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  const parser = parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true });
  const flush = async (batch: CsvRow[]) => {
    rows += batch.length;
    const delta = bytes - bytesReported;
    bytesReported = bytes;
    await onRows(batch, delta);
  };
  try {
    await pipeline(Readable.from(countBytes()), parser, async (records: AsyncIterable<string[]>) => {
      let batch: CsvRow[] = [];
      for await (const record of records) {
        if (columns === undefined) {
          columns = buildColumnNames(record);
          continue;
        }
        batch.push(buildCsvRow(columns, record));
        if (batch.length >= batchRows) {
          await flush(batch);
          batch = [];
        }
      }
      if (batch.length > 0 || bytes > bytesReported) await flush(batch);
    });
  } catch (error) {
    if (error instanceof CsvError) {
      throw new SyncError(
        "EXPORT_MALFORMED",
        `GET ${describeRequestUrl(zephr.baseUrl, stateEventsPath, query)} sent CSV that cannot be read (${error.code}): ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  return { rows, bytes, columns: columns ?? [] };
}
