/**
 * Reads a catalogue listing's body without trusting its shape: Zephr documents the envelopes of the user
 * export only, so a listing may be a bare array, a `{"results": [...]}` envelope (possibly nested as
 * arrays of arrays, like the export reference's sample), or an object with one array-valued key such as
 * `{"products": [...]}`.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Arrays of arrays become one list (one level deep is what Zephr's samples show; any depth is fine). */
function flatten(values: readonly unknown[]): unknown[] {
  const items: unknown[] = [];
  for (const value of values) {
    if (Array.isArray(value)) items.push(...flatten(value));
    else items.push(value);
  }
  return items;
}

/** The items of a listing, or undefined when the body has no recognisable list. */
export function extractListingItems(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return flatten(body);
  if (!isRecord(body)) return undefined;
  if (Array.isArray(body.results)) return flatten(body.results);
  const arrays = Object.entries(body).filter(([key, value]) => key !== "links" && Array.isArray(value));
  if (arrays.length === 1 && arrays[0] !== undefined) return flatten(arrays[0][1] as unknown[]);
  return undefined;
}

/** Describes a body whose list could not be found, for the error message. */
export function describeListingShape(body: unknown): string {
  if (isRecord(body)) {
    const keys = Object.keys(body).slice(0, 10);
    return keys.length === 0 ? "an empty object" : `an object with keys ${keys.join(", ")}`;
  }
  return body === null ? "null" : `a ${typeof body}`;
}

/**
 * The URL of the next page when the listing is paginated like the user export (`links.next.url`, or a
 * `links.next` / `next` string); undefined on the last (or only) page.
 */
export function findNextLink(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const links = body.links;
  if (isRecord(links)) {
    const next = links.next;
    if (typeof next === "string" && next !== "") return next;
    if (isRecord(next) && typeof next.url === "string" && next.url !== "") return next.url;
    return undefined;
  }
  return typeof body.next === "string" && body.next !== "" ? body.next : undefined;
}
