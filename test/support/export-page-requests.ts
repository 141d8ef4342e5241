import type { RecordedRequest } from "../../tools/simulator/index.js";

/** The page an export request asked for (1 when its query names none, as Zephr reads it). */
export function pageOf(request: RecordedRequest): number {
  return Number(new URLSearchParams(request.query).get("page") ?? "1");
}

/**
 * A run's export requests less the one for the page after `lastPage`, the last page the run read or
 * failed on. The export asks for that page as soon as the last page's headers arrive and aborts it when
 * paging stops, so whether the simulator answered it before the abort is a race: it may or may not be
 * recorded. Throws when the requests break what prefetching promises: pages first asked for in order,
 * never more than that one request past `lastPage`.
 */
export function withoutEndPrefetch(
  requests: readonly RecordedRequest[],
  lastPage: number,
): RecordedRequest[] {
  const pages = requests.map(pageOf);
  const firstAsked = [...new Set(pages)];
  const ahead = pages.filter((page) => page === lastPage + 1).length;
  const beyond = pages.filter((page) => page > lastPage + 1).length;
  if (firstAsked.some((page, index) => page !== index + 1) || ahead > 1 || beyond > 0) {
    throw new Error(
      `Expected pages 1 to ${lastPage} asked for in order and at most one request for page ${lastPage + 1}, got pages ${JSON.stringify(pages)}`,
    );
  }
  return requests.filter((request) => pageOf(request) <= lastPage);
}

/** What the simulator answered for each page, in order (a fault's kind, else the status). */
export function answersByPage(requests: readonly RecordedRequest[]): Record<number, (string | number)[]> {
  const answers: Record<number, (string | number)[]> = {};
  for (const request of requests) (answers[pageOf(request)] ??= []).push(request.fault ?? request.status);
  return answers;
}
