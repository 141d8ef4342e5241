/**
 * How the simulated server pages and describes the user export: the choices shared/zephr-api.md marks
 * [unknown] (or that a real server may make), each switchable so the client can be tested against all.
 */
export interface ExportShape {
  /** Send every selected user whatever rpp/page say (meta and links still follow rpp/page). */
  readonly ignorePaging: boolean;
  /** Honour rpp but not page: every page holds the first users again; meta and links still promise more. */
  readonly ignorePage: boolean;
  /** Largest page the server sends: a larger rpp is answered with this many users per page. */
  readonly maxPageSize: number | undefined;
  /** Smallest page the server sends: a smaller rpp is answered with this many users per page. */
  readonly minPageSize: number | undefined;
  /** How every `links.*` entry is written: absolute URL, URL relative to the host, or `{ "page": k }`. */
  readonly nextLink: NextLinkStyle;
  /** How an absent `links.next` (and `links.previous` on page 1) looks. */
  readonly lastPageNext: "absent" | "null";
  /** Whether the object envelopes carry `links` at all. */
  readonly links: "present" | "omitted";
  /** Whether the object envelopes carry `meta` at all. */
  readonly meta: "present" | "omitted";
  /** What `meta.count` says: the export's total, this page's number of results, or nothing (no key). */
  readonly count: MetaCountStyle;
}

export type NextLinkStyle = "absolute" | "relative" | "page-only";
export type MetaCountStyle = "total" | "page" | "absent";

export const defaultExportShape: ExportShape = Object.freeze({
  ignorePaging: false,
  ignorePage: false,
  maxPageSize: undefined,
  minPageSize: undefined,
  nextLink: "absolute",
  lastPageNext: "absent",
  links: "present",
  meta: "present",
  count: "total",
});

/** The page size the server answers a request for `rpp` with: rpp, raised to the floor, cut to the cap. */
export function findEffectivePageSize(shape: ExportShape, rpp: number): number {
  const floored = shape.minPageSize === undefined ? rpp : Math.max(rpp, shape.minPageSize);
  return shape.maxPageSize === undefined ? floored : Math.min(floored, shape.maxPageSize);
}
