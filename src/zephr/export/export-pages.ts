import { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";
import { decidePaging, pagingPageSize, type PagingStop } from "./decide-paging.js";
import { ExportBodyParser, type EnvelopeSummary } from "../json/export-body-parser.js";
import { buildExportQuery, userExportPath, type ExportWindow } from "./export-query.js";
import { openSignedGet, type HttpDeps } from "../http/open-export-page.js";
import { PagePrefetch } from "../http/page-prefetch.js";
import { resolveNextLink, type PageRequest } from "./resolve-next-link.js";
import { retryTransient } from "../http/retry-transient.js";
import type { ScannedElement } from "../json/scanned-element.js";

export type { PagingStop } from "./decide-paging.js";

export interface PageResult {
  readonly page: number;
  readonly elements: number;
  readonly bytes: number;
  readonly summary: EnvelopeSummary;
}

/** How the export's paging ended. */
export interface ExportPagesEnd {
  readonly pages: number;
  readonly reason: PagingStop;
  /**
   * Set when the server's own word says more users exist than it served (see decidePaging): the
   * export is incomplete whatever arrived.
   */
  readonly doubt: string | undefined;
  /** `meta.count` as the first page that stated one gave it: the export's total, if Zephr means that. */
  readonly statedCount: number | undefined;
  /** Elements received on all pages (a user listed twice counts twice). */
  readonly elements: number;
}

export interface ExportPagesHooks {
  /** Called once, when the first page's headers arrive, with Zephr's clock if it sent a Date header. */
  readonly onExportStarted: (serverDateMs: number | undefined, requestedAtMs: number) => Promise<void>;
  /**
   * One chunk of a page was read (`bytes` long) and completed these elements. May wait (backpressure:
   * the body is not read meanwhile).
   */
  readonly onChunk: (elements: readonly ScannedElement[], page: number, bytes: number) => Promise<void>;
  /** A page was read completely. */
  readonly onPage: (result: PageResult) => Promise<void>;
  /** A page attempt failed and will be tried again after `delayMs`. */
  readonly onRetry: (page: number, error: SyncError, attempt: number, delayMs: number) => void;
}

export interface ExportPagesDeps {
  readonly http: HttpDeps;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

/**
 * Fetches the export page after page and streams each page's elements to the hooks. Which page comes
 * next, and whether one does, is the server's word where its envelope says (decidePaging): its
 * `links.next` is followed as given (checked by resolveNextLink), else the next page number is asked
 * for at the page size the server used. Only a bare array ends on a page short of that size. A page
 * that repeats the one before ends the export (a server ignoring `page` cannot loop it), as does
 * ZEPHR_MAX_PAGES, as a failure.
 *
 * A page that fails transiently (network, timeout, 429, 5xx) is fetched again from its start, with
 * backoff and jitter, honouring Retry-After; elements it delivered before failing arrive again, which
 * loading tolerates.
 *
 * Zephr builds a page only once asked, so the likely next request (this one with `page` one higher) is
 * sent as soon as a page's headers arrive (never beyond ZEPHR_MAX_PAGES) and read when its turn comes,
 * if paging then asks for exactly that request: see PagePrefetch. Hooks still see one page after the
 * other. When paging ends, for whatever reason, the request ahead is aborted.
 */
export async function exportPages(
  zephr: ZephrConfig,
  window: ExportWindow,
  deps: ExportPagesDeps,
  hooks: ExportPagesHooks,
): Promise<ExportPagesEnd> {
  let started = false;
  const ownRequest = (page: number, pageSize: number): PageRequest => ({
    path: userExportPath,
    query: buildExportQuery({ window, pageSize, page, instantPrecision: zephr.instantPrecision }),
  });
  const ahead = new PagePrefetch(
    (request, signal) => openSignedGet(zephr, deps.http, request.path, request.query, signal),
    deps.signal,
  );

  const fetchPage = async (page: number, request: PageRequest) => {
    // Read for page 1 only, which is never requested ahead.
    const requestedAtMs = deps.http.now();
    const opened = await (ahead.take(request) ??
      openSignedGet(zephr, deps.http, request.path, request.query, deps.signal));
    const guess = page < zephr.maxPages ? withPage(request, page + 1) : undefined;
    if (guess !== undefined) ahead.request(guess);
    if (!started) {
      started = true;
      await hooks.onExportStarted(opened.serverDateMs, requestedAtMs);
    }
    const parser = new ExportBodyParser();
    let elements = 0;
    let first: ScannedElement | undefined;
    let last: ScannedElement | undefined;
    const deliver = async (scanned: ScannedElement[], bytes: number) => {
      if (scanned.length > 0) {
        first ??= scanned[0];
        last = scanned[scanned.length - 1];
        elements += scanned.length;
      }
      await hooks.onChunk(scanned, page, bytes);
    };
    for await (const chunk of opened.body) await deliver(parser.write(chunk), chunk.length);
    const ended = parser.end();
    await deliver(ended.elements, 0);
    return {
      result: { page, elements, bytes: parser.bytes, summary: ended.summary },
      // element.user.user_id (when a string) of the first and last element.
      fingerprint: `${elements}:${first?.userId ?? ""}:${last?.userId ?? ""}`,
    };
  };

  let request = ownRequest(1, zephr.pageSize);
  let pageSize = zephr.pageSize;
  let previousFingerprint: string | undefined;
  let statedCount: number | undefined;
  let elementsSoFar = 0;
  try {
    for (let page = 1; ; page++) {
      if (page > zephr.maxPages) {
        throw new SyncError(
          "EXPORT_TOO_MANY_PAGES",
          `The export did not end after ${zephr.maxPages} pages of up to ${pageSize} users; raise ZEPHR_MAX_PAGES if the tenant really has that many users.`,
        );
      }
      const current = request;
      const { result, fingerprint } = await retryTransient(
        zephr,
        deps,
        () => fetchPage(page, current),
        (error, attempt, delayMs) => {
          hooks.onRetry(page, error, attempt, delayMs);
        },
      );
      await hooks.onPage(result);
      elementsSoFar += result.elements;
      statedCount ??= result.summary.totalCount;
      if (page === 1) pageSize = pagingPageSize(result.summary, result.elements, zephr.pageSize);
      const decision = decidePaging({
        page,
        elements: result.elements,
        elementsSoFar,
        repeated: fingerprint === previousFingerprint,
        summary: result.summary,
        pageSize,
        requestedPageSize: zephr.pageSize,
      });
      if (decision.kind === "stop") {
        return {
          pages: page,
          reason: decision.reason,
          doubt: decision.doubt,
          statedCount,
          elements: elementsSoFar,
        };
      }
      request =
        decision.kind === "follow"
          ? resolveNextLink(zephr.baseUrl, current, decision.url)
          : ownRequest(decision.page, pageSize);
      previousFingerprint = fingerprint;
    }
  } finally {
    ahead.cancel();
  }
}

/**
 * The request with its `page` parameter set to `page`: the guess for the request that follows, which
 * servers that page by number usually name in their links. None when the request has no `page`.
 */
function withPage(request: PageRequest, page: number): PageRequest | undefined {
  const parts = request.query.split("&");
  const index = parts.findIndex((part) => part.startsWith("page="));
  if (index === -1) return undefined;
  parts[index] = `page=${page}`;
  return { path: request.path, query: parts.join("&") };
}
