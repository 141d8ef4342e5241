// Bound once: inside a vm context (jest), every lookup of a global is slow, and this runs per element.
const { keys } = Object;
const { isArray } = Array;
const { stringify } = JSON;

/** Which optional parts of an element an export request asked for. */
export interface ElementProjection {
  /** Keep `user.attributes` (query `attributes=true`). */
  readonly attributes: boolean;
  /** Keep `grants` (query `grants=true`). */
  readonly grants: boolean;
}

/**
 * The element as an export with these flags sends it: without `grants` unless asked for and without
 * `user.attributes` unless asked for; every other key, known or not, in its order. Non-objects pass
 * unchanged (malformed elements are served as they were stored).
 */
export function projectElement(element: unknown, projection: ElementProjection): unknown {
  if ((projection.attributes && projection.grants) || !isPlainObject(element)) return element;
  const projected: Record<string, unknown> = {};
  for (const key of keys(element)) {
    if (key === "grants" && !projection.grants) continue;
    const value = element[key];
    projected[key] =
      key === "user" && !projection.attributes && isPlainObject(value) ? withoutAttributes(value) : value;
  }
  return projected;
}

/** JSON text of the projected element; `undefined` (a malformed element put by a test) becomes `null`. */
export function serializeElement(element: unknown, projection: ElementProjection): string {
  const json = stringify(projectElement(element, projection)) as string | undefined;
  return json ?? "null";
}

function withoutAttributes(user: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of keys(user)) {
    if (key !== "attributes") copy[key] = user[key];
  }
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !isArray(value);
}
