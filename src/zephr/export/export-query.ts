/** What one export request asks for. Instants are ms since the epoch. */
export interface ExportWindow {
  readonly sinceMs?: number | undefined;
  readonly registeredSinceMs?: number | undefined;
  readonly registeredBeforeMs?: number | undefined;
}

export interface ExportPageRequest {
  readonly window: ExportWindow;
  readonly pageSize: number;
  /** 1-based. */
  readonly page: number;
  readonly instantPrecision: "seconds" | "milliseconds";
}

export const userExportPath = "/v3/user-export";

/** The query keys that decide which users and fields an export holds (not how it is paged). */
export const exportFilterKeys = [
  "attributes",
  "grants",
  "since",
  "registeredSince",
  "registeredBefore",
] as const;

/**
 * `2024-01-01T00:00:00Z` (seconds, as Zephr documents) or `…00.000Z`. Seconds are floored, so the
 * window only ever widens.
 */
export function formatInstant(ms: number, precision: "seconds" | "milliseconds"): string {
  const iso = new Date(precision === "seconds" ? Math.floor(ms / 1000) * 1000 : ms).toISOString();
  return precision === "seconds" ? iso.replace(/\.\d{3}Z$/, "Z") : iso;
}

/**
 * The query string exactly as it goes on the wire and into the signature: built once, percent-encoded
 * by encodeURIComponent (so `:` becomes `%3A`, as in Zephr's examples), never re-encoded afterwards.
 * Order: attributes, grants, since, registeredSince, registeredBefore, rpp, page.
 */
export function buildExportQuery(request: ExportPageRequest): string {
  const parts: [string, string][] = [
    ["attributes", "true"],
    ["grants", "true"],
  ];
  const { window, instantPrecision } = request;
  if (window.sinceMs !== undefined) parts.push(["since", formatInstant(window.sinceMs, instantPrecision)]);
  if (window.registeredSinceMs !== undefined) {
    parts.push(["registeredSince", formatInstant(window.registeredSinceMs, instantPrecision)]);
  }
  if (window.registeredBeforeMs !== undefined) {
    parts.push(["registeredBefore", formatInstant(window.registeredBeforeMs, instantPrecision)]);
  }
  parts.push(["rpp", String(request.pageSize)], ["page", String(request.page)]);
  return parts.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join("&");
}
