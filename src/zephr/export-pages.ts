import { SyncError } from "../errors.js";
import type { ZephrConfig } from "../config.js";
import { ExportBodyParser, type EnvelopeSummary } from "./export-body-parser.js";
import { buildExportQuery, userExportPath, type ExportWindow } from "./export-query.js";
import { openSignedGet, type HttpDeps } from "./open-export-page.js";
import { PagePrefetch } from "./page-prefetch.js";
import { retryTransient } from "./retry-transient.js";
import type { ScannedElement } from "./scanned-element.js";

export interface PageResult {
  readonly page: number;
  readonly elements: number;
  readonly bytes: number;
  readonly summary: EnvelopeSummary;
}

export type PagingStop = "empty page" | "short page" | "no next link" | "not paginated" | "paging ignored";

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
  /** Paging ended for the given reason. */
  readonly onStop: (reason: PagingStop, pages: number) => void;
}

export interface ExportPagesDeps {
  readonly http: HttpDeps;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
}

/**
 * Fetches the export page by page (rpp/page) and streams each page's elements to the hooks. A page that
 * fails transiently (network, timeout, 429, 5xx) is fetched again from its start, with backoff and
 * jitter, honouring Retry-After; elements it delivered before failing arrive again, which loading
 * tolerates. Stops on an empty or short page, a missing next link, or a server that ignores paging.
 *
 * Zephr builds a page only once asked, so page N+1 is requested as soon as page N's headers arrive
 * (never beyond ZEPHR_MAX_PAGES) and read when its turn comes: see PagePrefetch. Hooks still see one
 * page after the other. When paging ends, for whatever reason, the request ahead is aborted: at the end
 * of an export that is the request for the page after the last one.
 */
export async function exportPages(
  zephr: ZephrConfig,
  window: ExportWindow,
  deps: ExportPagesDeps,
  hooks: ExportPagesHooks,
): Promise<number> {
  let started = false;
  let previousFingerprint: string | undefined;

  const openPage = (page: number, signal: AbortSignal | undefined) => {
    const query = buildExportQuery({
      window,
      pageSize: zephr.pageSize,
      page,
      instantPrecision: zephr.instantPrecision,
    });
    return openSignedGet(zephr, deps.http, userExportPath, query, signal);
  };
  const ahead = new PagePrefetch(openPage, deps.signal);

  const fetchPage = async (page: number) => {
    // Read for page 1 only, which is never requested ahead.
    const requestedAtMs = deps.http.now();
    const opened = await (ahead.take(page) ?? openPage(page, deps.signal));
    if (page < zephr.maxPages) ahead.request(page + 1);
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

  try {
    for (let page = 1; ; page++) {
      if (page > zephr.maxPages) {
        throw new SyncError(
          "EXPORT_TOO_MANY_PAGES",
          `The export did not end after ${zephr.maxPages} pages of ${zephr.pageSize} users; raise ZEPHR_MAX_PAGES if the tenant really has that many users.`,
        );
      }
      const { result, fingerprint } = await retryTransient(
        zephr,
        deps,
        () => fetchPage(page),
        (error, attempt, delayMs) => {
          hooks.onRetry(page, error, attempt, delayMs);
        },
      );
      await hooks.onPage(result);
      const stop = pagingStop(result, zephr.pageSize, fingerprint === previousFingerprint);
      if (stop !== undefined) {
        hooks.onStop(stop, page);
        return page;
      }
      previousFingerprint = fingerprint;
    }
  } finally {
    ahead.cancel();
  }
}

function pagingStop(result: PageResult, pageSize: number, sameAsPrevious: boolean): PagingStop | undefined {
  const { elements, summary } = result;
  if (elements === 0) return "empty page";
  if (summary.kind === "object" && summary.paginated === false) return "not paginated";
  if (summary.kind === "object" && summary.hasLinks && !summary.hasNext) return "no next link";
  if (elements < pageSize) return "short page";
  if (elements > pageSize || sameAsPrevious) return "paging ignored";
  return undefined;
}
