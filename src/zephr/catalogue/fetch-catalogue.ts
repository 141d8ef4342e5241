import { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";
import { describeListingShape, extractListingItems, findNextLink } from "./catalogue-listing.js";
import { describeRequestUrl } from "../http/describe-request-url.js";
import { openSignedGet, type HttpDeps } from "../http/open-export-page.js";
import { retryTransient } from "../http/retry-transient.js";

/** A catalogue listing is small (hundreds of items); a body beyond this is not one (bytes). */
export const maxListingBytes = 64 * 1024 * 1024;

/** A listing that pages more than this is not a catalogue: stop rather than loop (pages). */
export const maxListingPages = 1000;

export interface FetchListingDeps {
  readonly http: HttpDeps;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
  /** A page attempt failed transiently and will be tried again after `delayMs`. */
  readonly onRetry?: (path: string, error: SyncError, attempt: number, delayMs: number) => void;
}

export interface Listing {
  /** Every item of every page, as parsed (not validated). */
  readonly items: readonly unknown[];
  readonly pages: number;
}

/**
 * Fetches one catalogue listing (e.g. `/v3/products`) with a signed GET, following `links.next` when the
 * listing pages, retrying transient failures. Throws SyncError: ZEPHR_FORBIDDEN for a 403 (the key pair's
 * admin user lacks the privilege), EXPORT_MALFORMED for a body without a recognisable list.
 */
export async function fetchCatalogueListing(
  zephr: ZephrConfig,
  deps: FetchListingDeps,
  path: string,
): Promise<Listing> {
  const items: unknown[] = [];
  const seen = new Set<string>();
  let target: { path: string; query: string } | undefined = { path, query: "" };
  let pages = 0;
  while (target !== undefined) {
    const pagePath: string = target.path;
    const query: string = target.query;
    seen.add(`${pagePath}?${query}`);
    const body: unknown = await retryTransient(
      zephr,
      deps,
      (): Promise<unknown> => fetchJson(zephr, deps, pagePath, query),
      (error, attempt, delayMs) => deps.onRetry?.(path, error, attempt, delayMs),
    );
    pages += 1;
    const pageItems = extractListingItems(body);
    if (pageItems === undefined) {
      throw new SyncError(
        "EXPORT_MALFORMED",
        `GET ${describeRequestUrl(zephr.baseUrl, pagePath, query)} answered ${describeListingShape(body)} instead of a list (a JSON array or {"results": [...]}).`,
      );
    }
    items.push(...pageItems);
    const next: string | undefined = pageItems.length === 0 ? undefined : findNextLink(body);
    target = next === undefined ? undefined : resolveNextLink(zephr.baseUrl, next);
    if (target !== undefined && seen.has(`${target.path}?${target.query}`)) target = undefined;
    if (target !== undefined && pages >= maxListingPages) {
      throw new SyncError(
        "EXPORT_TOO_MANY_PAGES",
        `GET ${describeRequestUrl(zephr.baseUrl, path, "")} still had a next page after ${maxListingPages} pages; a catalogue is not that long.`,
      );
    }
  }
  return { items, pages };
}

/** The path (without ZEPHR_BASE_URL's own path) and raw query of a next link, kept byte for byte. */
function resolveNextLink(baseUrl: string, link: string): { path: string; query: string } {
  const base = new URL(baseUrl);
  let url: URL;
  try {
    url = new URL(link, base);
  } catch {
    throw new SyncError("EXPORT_MALFORMED", `A listing's next link ${JSON.stringify(link)} is not a URL.`);
  }
  if (url.origin !== base.origin) {
    // Signed requests go to the tenant host only: the signature would be useless, and leak, elsewhere.
    throw new SyncError(
      "EXPORT_MALFORMED",
      `A listing's next link points at ${url.origin}, not ${base.origin}; not following it.`,
    );
  }
  const prefix = base.pathname.replace(/\/$/, "");
  const path =
    prefix !== "" && url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : url.pathname;
  return { path, query: url.search.replace(/^\?/, "") };
}

async function fetchJson(
  zephr: ZephrConfig,
  deps: FetchListingDeps,
  path: string,
  query: string,
): Promise<unknown> {
  const opened = await openSignedGet(zephr, deps.http, path, query, deps.signal);
  const url = describeRequestUrl(zephr.baseUrl, path, query);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of opened.body) {
    bytes += chunk.length;
    if (bytes > maxListingBytes) {
      throw new SyncError(
        "EXPORT_MALFORMED",
        `GET ${url} sent more than ${maxListingBytes} bytes; that is not a catalogue listing.`,
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SyncError(
      "EXPORT_MALFORMED",
      `GET ${url} answered with text that is not JSON: ${JSON.stringify(text.slice(0, 200))}.`,
      { cause: error },
    );
  }
}
