import type { BodyWriter } from "./body-writer.js";
import { replaceQueryPage, type ExportRequestQuery } from "./parse-export-request-query.js";
import type { UserSelection } from "./simulator-store.js";

/** (a) bare array; (b) `{"results":[…],"meta":…,"links":…}`; nested: (b) with `results` an array of arrays. */
export type ExportEnvelope = "array" | "object" | "nested";

export interface ExportPage {
  readonly selection: UserSelection;
  readonly query: ExportRequestQuery;
  readonly envelope: ExportEnvelope;
  /** Send every selected user whatever rpp/page say (meta and links still follow rpp/page). */
  readonly ignorePaging: boolean;
  /** How an absent `links.next` (and `links.previous`) looks in the object envelopes. */
  readonly lastPageNext: "absent" | "null";
  /** Largest inner array of the nested envelope. */
  readonly nestedGroupSize: number;
  /** `http://host:port/v3/user-export` for `links.*.url`. */
  readonly pageUrlBase: string;
  /** The request's raw query, reused byte for byte in the links with only `page` changed. */
  readonly rawQuery: string;
}

interface PageLink {
  readonly url: string;
  readonly page: number;
}

/** Streams one page of the export through `writer`, element by element. */
export async function writeExportBody(writer: BodyWriter, page: ExportPage): Promise<void> {
  const { selection, query, envelope } = page;
  const total = selection.count;
  const from = page.ignorePaging ? 0 : Math.min((query.page - 1) * query.rpp, total);
  const to = page.ignorePaging ? total : Math.min(query.page * query.rpp, total);
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
    const meta = { count: total, rpp: query.rpp, paginated: true };
    writer.push(`],"meta":${JSON.stringify(meta)},"links":${JSON.stringify(buildLinks(page, total))}}`);
  }
  await writer.end();
}

function buildLinks(page: ExportPage, total: number): Record<string, PageLink | null> {
  const current = page.query.page;
  const lastPage = Math.max(1, Math.ceil(total / page.query.rpp));
  const link = (n: number): PageLink => ({
    url: `${page.pageUrlBase}?${replaceQueryPage(page.rawQuery, n)}`,
    page: n,
  });
  const links: Record<string, PageLink | null> = { first: link(1), last: link(lastPage) };
  if (current > 1) links.previous = link(Math.min(current - 1, lastPage));
  else if (page.lastPageNext === "null") links.previous = null;
  if (current < lastPage) links.next = link(current + 1);
  else if (page.lastPageNext === "null") links.next = null;
  return links;
}
