import { SyncError } from "../../errors.js";
import { exportFilterKeys, userExportPath } from "./export-query.js";

import type { PageRequest } from "../http/page-request.js";

export type { PageRequest } from "../http/page-request.js";

/**
 * The request `links.next` asks for, checked before anything is signed for it: resolved against the
 * page it came with, it must stay on ZEPHR_BASE_URL's scheme, host and port and name the user export
 * path (signed requests go nowhere else), and it must keep the export's filters. A filter the link
 * leaves out is added back as we sent it; one it changes or adds (another `since`, no `grants`) would
 * load a different export, and fails the run. Its query is otherwise sent byte for byte as the server
 * wrote it (its `rpp`, `page` and any key of its own).
 */
export function resolveNextLink(baseUrl: string, current: PageRequest, link: string): PageRequest {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/$/, "");
  const currentUrl = `${base.origin}${basePath}${current.path}?${current.query}`;
  let next: URL;
  try {
    next = new URL(link, currentUrl);
  } catch (error) {
    throw pagingError(`its links.next ${JSON.stringify(link)} is not a URL`, error);
  }
  if (next.protocol !== base.protocol || next.host !== base.host) {
    throw pagingError(
      `its links.next points to ${next.protocol}//${next.host}, not to ZEPHR_BASE_URL's ${base.protocol}//${base.host}; ` +
        "signed requests go only to ZEPHR_BASE_URL, so the export stopped there",
    );
  }
  if (next.pathname !== `${basePath}${userExportPath}`) {
    throw pagingError(
      `its links.next names the path ${JSON.stringify(next.pathname)}, not ${basePath}${userExportPath}`,
    );
  }
  const query = keepFilters(next.search.replace(/^\?/, ""), current.query);
  return { path: userExportPath, query };
}

function keepFilters(linkQuery: string, ourQuery: string): string {
  const ours = new URLSearchParams(ourQuery);
  const theirs = new URLSearchParams(linkQuery);
  const added: string[] = [];
  for (const key of exportFilterKeys) {
    const sent = ours.get(key);
    const linked = theirs.getAll(key);
    if (sent === null) {
      if (linked.length > 0) {
        throw pagingError(
          `its links.next adds ${key}=${linked.join(",")}, which this export did not ask for`,
        );
      }
      continue;
    }
    if (linked.length === 0) {
      added.push(`${key}=${encodeURIComponent(sent)}`);
      continue;
    }
    if (linked.length > 1 || !sameFilterValue(key, sent, linked[0] ?? "")) {
      throw pagingError(
        `its links.next asks for ${key}=${linked.join(",")} where this export asked for ${sent}`,
      );
    }
  }
  return [linkQuery, ...added].filter((part) => part !== "").join("&");
}

/** Instants are equal when they name the same moment (`…00Z`, `…00.000Z`); booleans by their text. */
function sameFilterValue(key: string, sent: string, linked: string): boolean {
  if (key === "attributes" || key === "grants") return sent.toLowerCase() === linked.toLowerCase();
  const sentMs = Date.parse(sent);
  return Number.isFinite(sentMs) && sentMs === Date.parse(linked);
}

function pagingError(problem: string, cause?: unknown): SyncError {
  return new SyncError(
    "EXPORT_PAGING",
    `Zephr's export page could not be followed: ${problem}. Nothing after it was loaded and the watermark is unchanged; ` +
      "check ZEPHR_BASE_URL (it must be the host Zephr's links name) or report the server's links.",
    cause === undefined ? undefined : { cause },
  );
}
