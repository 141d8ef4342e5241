/** Small pure edits of JSON values by path, for crafting bad export elements in tests. */

export type JsonPath = readonly (string | number)[];

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

function cloneContainer(value: unknown): Container {
  if (Array.isArray(value)) return [...(value as unknown[])];
  if (isContainer(value)) return { ...(value as Record<string, unknown>) };
  return {};
}

/** A copy of `value` with the value at `path` set (containers on the way are created or copied). */
export function setPath(value: unknown, path: JsonPath, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  const copy = cloneContainer(value);
  const child = (copy as Record<string | number, unknown>)[head];
  Object.defineProperty(copy, head, {
    value: setPath(child, rest, replacement),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** A copy of `value` without the key at `path`. */
export function deletePath(value: unknown, path: JsonPath): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !isContainer(value)) return value;
  const copy = cloneContainer(value);
  if (rest.length === 0) {
    if (Array.isArray(copy) && typeof head === "number") copy.splice(head, 1);
    else Reflect.deleteProperty(copy, head);
    return copy;
  }
  Object.defineProperty(copy, head, {
    value: deletePath((value as Record<string | number, unknown>)[head], rest),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** The value at `path`, or undefined. */
export function getPath(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const key of path) {
    if (!isContainer(current)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
