import type { BodyWriter } from "./body-writer.js";
import { findEffectivePageSize, type ExportShape } from "./export-shape.js";
import { replaceQueryPage, type ExportRequestQuery } from "./parse-export-request-query.js";
import type { UserSelection } from "./simulator-store.js";

/** (a) bare array; (b) `{"results":[…],"meta":…,"links":…}`; nested: (b) with `results` an array of arrays. */
export type ExportEnvelope = "array" | "object" | "nested";

export interface ExportPage {
  readonly selection: UserSelection;
  readonly query: ExportRequestQuery;
  readonly envelope: ExportEnvelope;
  /** How the server pages and what its meta and links say. */
  readonly shape: ExportShape;
  /** Largest inner array of the nested envelope. */
  readonly nestedGroupSize: number;
  /** `http://host:port` for absolute `links.*.url`. */
  readonly baseUrl: string;
  /** `/v3/user-export`, the path of every link. */
  readonly path: string;
  /** The request's raw query, reused byte for byte in the links with only `page` changed. */
  readonly rawQuery: string;
}

type PageLink = { readonly url: string; readonly page: number } | { readonly page: number };

/** Streams one page of the export through `writer`, element by element. */
export async function writeExportBody(writer: BodyWriter, page: ExportPage): Promise<void> {
  const { selection, query, envelope, shape } = page;
  const total = selection.count;
  const pageSize = findEffectivePageSize(shape, query.rpp);
  // ignorePage: the offset never moves, so every page repeats the first users.
  const offsetPage = shape.ignorePage ? 1 : query.page;
  const from = shape.ignorePaging ? 0 : Math.min((offsetPage - 1) * pageSize, total);
  const to = shape.ignorePaging ? total : Math.min(offsetPage * pageSize, total);
  const nested = envelope === "nested";

  writer.push(envelope === "array" ? "[" : '{"results":[');
  for (let position = from; position < to; position++) {
    const offset = position - from;
    if (nested && offset % page.nestedGroupSize === 0) writer.push(offset === 0 ? "[" : "],[");
    else if (offset > 0) writer.push(",");
    writer.push(selection.serializeAt(position, query));
    if (writer.shouldFlush && !(await writer.flush())) return;
  }
  if (nested && to > from) writer.push("]");

  if (envelope === "array") {
    writer.push("]");
  } else {
    writer.push("]");
    if (shape.meta === "present")
      writer.push(`,"meta":${JSON.stringify(buildMeta(shape, total, to - from, pageSize))}`);
    if (shape.links === "present")
      writer.push(`,"links":${JSON.stringify(buildLinks(page, total, pageSize))}`);
    writer.push("}");
  }
  await writer.end();
}

function buildMeta(
  shape: ExportShape,
  total: number,
  sent: number,
  pageSize: number,
): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  if (shape.count === "total") meta.count = total;
  else if (shape.count === "page") meta.count = sent;
  meta.rpp = pageSize;
  meta.paginated = true;
  return meta;
}

function buildLinks(page: ExportPage, total: number, pageSize: number): Record<string, PageLink | null> {
  const { shape } = page;
  const current = page.query.page;
  const lastPage = Math.max(1, Math.ceil(total / pageSize));
  const link = (n: number): PageLink => {
    if (shape.nextLink === "page-only") return { page: n };
    const relative = `${page.path}?${replaceQueryPage(page.rawQuery, n)}`;
    return { url: shape.nextLink === "relative" ? relative : `${page.baseUrl}${relative}`, page: n };
  };
  const links: Record<string, PageLink | null> = { first: link(1), last: link(lastPage) };
  if (current > 1) links.previous = link(Math.min(current - 1, lastPage));
  else if (shape.lastPageNext === "null") links.previous = null;
  if (current < lastPage) links.next = link(current + 1);
  else if (shape.lastPageNext === "null") links.next = null;
  return links;
}
