import { acceptSigned, sendJson, type Exchange, type ResponseClock } from "./exchange.js";
import type { SignatureVerifier } from "./signature-verifier.js";
import type { CatalogueListingPath, SimulatorCatalogue } from "./catalogue-store.js";

/** What the catalogue endpoints need from the simulator. */
export interface CatalogueEndpointContext extends ResponseClock {
  readonly catalogue: SimulatorCatalogue;
  readonly verifier: SignatureVerifier;
  /** `http://host:port`, for `links.next.url`. */
  readonly baseUrl: string;
}

const statusMessages: Record<number, string> = {
  401: "Unauthorized: invalid credentials or signature.",
  403: "Forbidden: the key pair's admin user lacks the privilege to read this resource.",
  404: "Not found.",
  429: "Too many requests.",
  500: "Internal server error.",
  503: "Service temporarily unavailable.",
};

/**
 * `GET /v3/products` and the other listings: a forced status first (e.g. 403), then the signature, then
 * the items in the listing's envelope; `results` listings page by `page` when the catalogue has a pageSize.
 */
export async function handleCatalogueRequest(
  context: CatalogueEndpointContext,
  exchange: Exchange,
  path: CatalogueListingPath,
): Promise<void> {
  const forced = context.catalogue.statusOf(path);
  if (forced !== undefined) {
    await sendJson(context, exchange, forced, {
      message: statusMessages[forced] ?? `Simulated status ${forced}.`,
    });
    return;
  }
  if (!(await acceptSigned(context, exchange))) return;
  const fixed = context.catalogue.bodyOf(path);
  if (fixed !== undefined) {
    await sendJson(context, exchange, 200, fixed.body);
    return;
  }
  const items = context.catalogue.list(path);
  if (context.catalogue.envelopeOf(path) === "array") {
    await sendJson(context, exchange, 200, items);
    return;
  }
  const pageSize = context.catalogue.pageSize;
  if (pageSize === undefined) {
    await sendJson(context, exchange, 200, { results: items });
    return;
  }
  const pageText = new URLSearchParams(exchange.rawQuery).get("page") ?? "1";
  const page = /^\d{1,6}$/.test(pageText) && Number(pageText) > 0 ? Number(pageText) : 1;
  const lastPage = Math.max(1, Math.ceil(items.length / pageSize));
  const link = (n: number) => ({ url: `${context.baseUrl}${path}?page=${n}`, page: n });
  await sendJson(context, exchange, 200, {
    results: items.slice((page - 1) * pageSize, page * pageSize),
    meta: { count: items.length, rpp: pageSize, paginated: true },
    links: { first: link(1), last: link(lastPage), ...(page < lastPage ? { next: link(page + 1) } : {}) },
  });
}
