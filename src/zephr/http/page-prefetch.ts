import type { OpenExportPage } from "./open-export-page.js";
import type { PageRequest } from "./page-request.js";

/** Sends one export page request and resolves with its headers; `signal` aborts it. */
export type OpenPage = (request: PageRequest, signal: AbortSignal) => Promise<OpenExportPage>;

interface PageAhead {
  /** path?query of the request sent ahead. */
  readonly key: string;
  readonly controller: AbortController;
  readonly opened: Promise<OpenExportPage>;
}

/**
 * At most one export page requested ahead of the page being read, so that Zephr builds page N+1 while
 * page N is parsed and loaded. Which request comes next is only known once page N is read (its links):
 * the one sent ahead is a guess, used only when it is byte for byte the request paging then asks for. Its body is not read until its turn: TCP backpressure holds it to a few
 * socket buffers, on the agent's second socket.
 *
 * A request ahead that fails (a 503, a reset, a timeout before its headers) keeps its failure until its
 * turn: it is then that page's first attempt, retried like any other (a Retry-After then counts from the
 * turn: a longer wait than asked, never a shorter one). A retry of page N leaves N+1 as it is, failed or
 * not: N+1's request does not depend on how N's body went. Whatever is still ahead when paging ends
 * (the page after the last one, asked for before the last page was read, or a page no longer needed
 * after an error or a signal) is aborted, and its failure is dropped unseen.
 */
export class PagePrefetch {
  readonly #open: OpenPage;
  readonly #signal: AbortSignal | undefined;
  #ahead: PageAhead | undefined;

  /** `signal` (the run's) aborts the request ahead too, at once, not only when paging notices. */
  constructor(open: OpenPage, signal: AbortSignal | undefined) {
    this.#open = open;
    this.#signal = signal;
  }

  /** Sends `request` ahead, unless it already is. */
  request(request: PageRequest): void {
    const key = requestKey(request);
    if (this.#ahead?.key === key) return;
    this.cancel();
    const controller = new AbortController();
    const signal =
      this.#signal === undefined ? controller.signal : AbortSignal.any([controller.signal, this.#signal]);
    const opened = this.#open(request, signal);
    // Its failure is seen when the page's turn comes, or never if paging ends first: handled either way.
    void opened.catch(() => undefined);
    this.#ahead = { key, controller, opened };
  }

  /**
   * The answer to `request` if it was sent ahead; the caller then reads or abandons it. A request ahead
   * that is another one stays: it is the next page's while this one is retried, or a wrong guess that
   * the next `request` or `cancel` replaces.
   */
  take(request: PageRequest): Promise<OpenExportPage> | undefined {
    const ahead = this.#ahead;
    if (ahead?.key !== requestKey(request)) return undefined;
    this.#ahead = undefined;
    return ahead.opened;
  }

  /** Aborts the request ahead, if any, closing its connection: paging stopped, failed or was cancelled. */
  cancel(): void {
    this.#ahead?.controller.abort();
    this.#ahead = undefined;
  }
}

function requestKey(request: PageRequest): string {
  return `${request.path}?${request.query}`;
}
