/**
 * The URL a request really went to, for messages: ZEPHR_BASE_URL's origin and path (a base URL of
 * `https://host/api` requests `/api/v3/…`), then the request's path and query. Nothing secret: the
 * signature travels in the Authorization header, never in the URL.
 */
export function describeRequestUrl(baseUrl: string, path: string, query: string): string {
  const base = new URL(baseUrl);
  return `${base.origin}${base.pathname.replace(/\/+$/, "")}${path}${query === "" ? "" : `?${query}`}`;
}
