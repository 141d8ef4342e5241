import { SyncError } from "../../errors.js";
import type { ZephrConfig } from "../../config.js";
import { decidePaging, pagingPageSize, type PagingStop } from "./decide-paging.js";
import { ExportBodyParser, type EnvelopeSummary } from "../json/export-body-parser.js";
import { buildExportQuery, userExportPath, type ExportWindow } from "./export-query.js";
import { openSignedGet, type HttpDeps } from "../http/open-export-page.js";
import { PagePrefetch } from "../http/page-prefetch.js";
import { resolveNextLink, type PageRequest } from "./resolve-next-link.js";
import { finalRetryError, planRetry, throwIfAborted, waitToRetry } from "../http/retry-policy.js";
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

/** What reading an export yields, in order: one `started`, then elements and pages, retries among them. */
export type ExportEvent =
  /**
   * The first page's headers arrived, with Zephr's clock if it sent a Date header. A source of files
   * (readExportFiles) says instead when they were exported (`exportedAtMs`, null when unknown) and how
   * many bytes it will read in all (`totalBytes`).
   */
  | {
      readonly type: "started";
      readonly serverDateMs: number | undefined;
      readonly requestedAtMs: number;
      readonly exportedAtMs?: number | null;
      readonly totalBytes?: number;
    }
  /**
   * One chunk of a page was read (`bytes` long) and completed these elements. The body is not read
   * further until the consumer asks for the next event: its wait is TCP backpressure on Zephr.
   */
  | {
      readonly type: "elements";
      readonly page: number;
      readonly elements: readonly ScannedElement[];
      readonly bytes: number;
    }
  /** A page was read completely. */
  | { readonly type: "page"; readonly result: PageResult }
  /**
   * A page attempt failed and the page will be read again from its start after `delayMs`: elements it
   * delivered before failing arrive again, which loading tolerates.
   */
  | {
      readonly type: "retry";
      readonly page: number;
      readonly error: SyncError;
      readonly attempt: number;
      readonly delayMs: number;
    }
  /** Paging ended: the last event. */
  | ({ readonly type: "end" } & ExportPagesEnd);

export interface ExportPagesDeps {
  readonly http: HttpDeps;
  /** Waits a Retry-After (injectable). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

/**
 * Reads the export page after page, as an async iteration of events (ExportEvent). Which page comes
 * next, and whether one does, is the server's word where its envelope says (decidePaging): its
 * `links.next` is followed as given (checked by resolveNextLink), else the next page number is asked
 * for at the page size the server used. Only a bare array ends on a page short of that size. A page
 * that repeats the one before ends the export (a server ignoring `page` cannot loop it), as does
 * ZEPHR_MAX_PAGES, as a failure.
 *
 * A page that fails transiently (network, timeout, 429, 5xx) is read again from its start, as planRetry
 * says (the policy retryTransient follows for single requests).
 *
 * Zephr builds a page only once asked, so the likely next request (this one with `page` one higher) is
 * sent as soon as a page's headers arrive (never beyond ZEPHR_MAX_PAGES) and read when its turn comes,
 * if paging then asks for exactly that request: see PagePrefetch. When the iteration ends, for whatever
 * reason (the consumer stopping early included), the request ahead is aborted.
 */
export async function* readExportPages(
  zephr: ZephrConfig,
  window: ExportWindow,
  deps: ExportPagesDeps,
): AsyncGenerator<ExportEvent, void, undefined> {
  let started = false;
  const ownRequest = (page: number, pageSize: number): PageRequest => ({
    path: userExportPath,
    query: buildExportQuery({ window, pageSize, page, instantPrecision: zephr.instantPrecision }),
  });
  const ahead = new PagePrefetch(
    (request, signal) => openSignedGet(zephr, deps.http, request.path, request.query, signal),
    deps.signal,
  );

  /** One attempt at one page: its events, then what paging needs to know of it. */
  async function* readPage(page: number, request: PageRequest) {
    // Read for page 1 only, which is never requested ahead.
    const requestedAtMs = deps.http.now();
    const opened = await (ahead.take(request) ??
      openSignedGet(zephr, deps.http, request.path, request.query, deps.signal));
    const guess = page < zephr.maxPages ? withPage(request, page + 1) : undefined;
    if (guess !== undefined) ahead.request(guess);
    if (!started) {
      started = true;
      yield { type: "started", serverDateMs: opened.serverDateMs, requestedAtMs } satisfies ExportEvent;
    }
    const parser = new ExportBodyParser();
    let elements = 0;
    let first: ScannedElement | undefined;
    let last: ScannedElement | undefined;
    const chunkEvent = (scanned: ScannedElement[], bytes: number): ExportEvent => {
      if (scanned.length > 0) {
        first ??= scanned[0];
        last = scanned[scanned.length - 1];
        elements += scanned.length;
      }
      return { type: "elements", page, elements: scanned, bytes };
    };
    for await (const chunk of opened.body) yield chunkEvent(parser.write(chunk), chunk.length);
    const ended = parser.end();
    yield chunkEvent(ended.elements, 0);
    return {
      result: { page, elements, bytes: parser.bytes, summary: ended.summary },
      // element.user.user_id (when a string) of the first and last element.
      fingerprint: `${elements}:${first?.userId ?? ""}:${last?.userId ?? ""}`,
    };
  }

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
      let read: { result: PageResult; fingerprint: string } | undefined;
      for (let attempts = 1; read === undefined; attempts++) {
        try {
          read = yield* readPage(page, request);
        } catch (error) {
          throwIfAborted(deps);
          const wait = planRetry(zephr, error, attempts);
          if (wait === undefined) throw finalRetryError(zephr, error, attempts, deps);
          yield {
            type: "retry",
            page,
            error: wait.error,
            attempt: attempts,
            delayMs: wait.backoffMs + wait.retryAfterMs,
          };
          await waitToRetry(wait, deps);
        }
      }
      const { result, fingerprint } = read;
      yield { type: "page", result };
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
        ahead.cancel();
        yield {
          type: "end",
          pages: page,
          reason: decision.reason,
          doubt: decision.doubt,
          statedCount,
          elements: elementsSoFar,
        };
        return;
      }
      request =
        decision.kind === "follow"
          ? resolveNextLink(zephr.baseUrl, request, decision.url)
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
