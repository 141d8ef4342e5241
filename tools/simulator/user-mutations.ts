/**
 * Pure edits of one export element (`{"user": {…}, "grants": {"results": […]}, …}`), returning a new
 * value and leaving every key they do not touch, known or not, where it was.
 */

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireUser(element: unknown): { element: JsonObject; user: JsonObject } {
  if (!isObject(element) || !isObject(element.user)) {
    throw new TypeError('Cannot edit this element: it has no "user" object.');
  }
  return { element, user: element.user };
}

/** Sets (or, with `undefined`, removes) `user.attributes[slug]`, creating `attributes` when missing. */
export function withAttribute(
  element: unknown,
  slug: string,
  value: string | number | boolean | undefined,
): unknown {
  const { element: object, user } = requireUser(element);
  const attributes: JsonObject = isObject(user.attributes) ? { ...user.attributes } : {};
  if (value === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the slug is data, as in Zephr
    delete attributes[slug];
  } else {
    attributes[slug] = value;
  }
  return { ...object, user: { ...user, attributes } };
}

/** The id of a grant under either documented spelling. */
export function findGrantId(grant: unknown): string | undefined {
  if (!isObject(grant)) return undefined;
  const id = grant.grantId ?? grant.grant_id;
  return typeof id === "string" ? id : undefined;
}

/** The element's `grants.results`, or an empty list when absent or malformed. */
export function listGrants(element: unknown): unknown[] {
  if (!isObject(element) || !isObject(element.grants) || !Array.isArray(element.grants.results)) return [];
  return element.grants.results as unknown[];
}

/** Removes the grant with this id (either spelling); throws when the element has no such grant. */
export function withoutGrant(element: unknown, grantId: string): unknown {
  const { element: object } = requireUser(element);
  const grants = listGrants(object);
  const kept = grants.filter((grant) => findGrantId(grant) !== grantId);
  if (kept.length === grants.length) throw new RangeError(`The element has no grant ${grantId}.`);
  return { ...object, grants: { ...(isObject(object.grants) ? object.grants : {}), results: kept } };
}

/** Appends a grant to `grants.results`, creating `grants` when missing. */
export function withGrant(element: unknown, grant: unknown): unknown {
  const { element: object } = requireUser(element);
  const results = [...listGrants(object), grant];
  return { ...object, grants: { ...(isObject(object.grants) ? object.grants : {}), results } };
}
