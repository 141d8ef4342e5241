import type { EnvelopeSummary } from "../json/export-body-parser.js";

/** Why paging ended; "last file" ends a load of export files (readExportFiles). */
export type PagingStop =
  "empty page" | "short page" | "no next link" | "not paginated" | "paging ignored" | "last file";

/** One page as read, with what the export so far says about it. */
export interface PageSeen {
  /** 1-based: how many pages this export has read, this one included. */
  readonly page: number;
  /** Elements on this page. */
  readonly elements: number;
  /** Elements on every page so far, this one included. */
  readonly elementsSoFar: number;
  /** The page held what the page before held (same count, same first and last user). */
  readonly repeated: boolean;
  readonly summary: EnvelopeSummary;
  /** The page size in force (pagingPageSize after page 1). */
  readonly pageSize: number;
  /** ZEPHR_PAGE_SIZE: what the first request asked for. */
  readonly requestedPageSize: number;
}

export type PagingDecision =
  | {
      readonly kind: "stop";
      readonly reason: PagingStop;
      /** Set when something the server said contradicts the end: the export cannot be called complete. */
      readonly doubt: string | undefined;
    }
  /** Request the URL of `links.next` (absolute or relative, still to be checked). */
  | { readonly kind: "follow"; readonly url: string }
  /** Request this page number with our own query, at the page size in force. */
  | { readonly kind: "page"; readonly page: number };

/**
 * The page size the rest of the export is asked and judged by, fixed once page 1 is read: the server's
 * own `meta.rpp` when it states one; else, when page 1 held some users but not the number asked for,
 * that number (a server that caps or pads pages: asking for its size keeps `page` offsets right whether
 * it counts them by its size or by ours); else ZEPHR_PAGE_SIZE.
 */
export function pagingPageSize(firstPage: EnvelopeSummary, elements: number, requested: number): number {
  if (firstPage.pageSize !== undefined) return firstPage.pageSize;
  return elements > 0 && elements !== requested ? elements : requested;
}

/**
 * Whether there is a page after this one, by the server's own word where the envelope has metadata:
 * `links.next` while present (its URL, else its page number), `meta.paginated: false` ends it; without
 * links, `meta.count` (while fewer elements arrived) and then the page size. Only an envelope without
 * any metadata (a bare array) is judged by the page size alone: a page short of it is the last.
 *
 * A stop carries a `doubt` when what the server said or sent leaves more users possible than arrived (a
 * full page repeated, `links.last` beyond this page): the export then fails as incomplete. A stated
 * total is checked against what arrived by the caller, whatever the reason paging stopped.
 */
export function decidePaging(seen: PageSeen): PagingDecision {
  const { summary, page, elements } = seen;
  const lastBeyond =
    summary.lastPage !== undefined && summary.lastPage > page
      ? `its links.last names page ${summary.lastPage}, yet page ${page} was the last one served`
      : undefined;
  if (elements === 0) return stop("empty page", lastBeyond);
  if (summary.paginated === false) return stop("not paginated", undefined);
  if (seen.repeated) return stop("paging ignored", repeatDoubt(seen));
  if (summary.hasLinks) {
    const next = summary.next;
    if (next === undefined) return stop("no next link", lastBeyond);
    if (next.url !== undefined) return { kind: "follow", url: next.url };
    return { kind: "page", page: next.page ?? page + 1 };
  }
  if (summary.totalCount !== undefined && seen.elementsSoFar < summary.totalCount) {
    return { kind: "page", page: page + 1 };
  }
  if (elements >= seen.pageSize) return { kind: "page", page: page + 1 };
  return stop("short page", undefined);
}

function stop(reason: PagingStop, doubt: string | undefined): PagingDecision {
  return { kind: "stop", reason, doubt };
}

/**
 * A page that repeats the one before: the server ignores `page`. That is an end only when the page
 * shows it held everything: more users than asked for (Zephr's documented fallback, the whole export
 * at once) or fewer than the server's page size (nothing was left to fill it). A full page repeated
 * may be the first of many: a server that honours `rpp` but not `page`. A stated total is checked by
 * the caller in either case.
 */
function repeatDoubt(seen: PageSeen): string | undefined {
  const { summary, page, elements, requestedPageSize } = seen;
  const serverPageSize = summary.pageSize ?? requestedPageSize;
  if (elements > requestedPageSize || elements < serverPageSize) return undefined;
  return (
    `page ${page} repeated page ${page - 1} (${elements} users, a full page): the server ignores the page parameter ` +
    "and may hold more users than one page; raise ZEPHR_PAGE_SIZE above the tenant's user count so that one page holds them all"
  );
}
