/** Where the next token of a JSON text cut short would go. */
export interface JsonEnd {
  /** Path of the value it starts, or of the object whose key it is (`element.user.attributes.city`). */
  readonly path: string;
  /** The next token is a key of the object at `path` (not a value). */
  readonly atKey: boolean;
  /** Path of the innermost container still open (`element` when none is). */
  readonly container: string;
}

interface Frame {
  readonly isObject: boolean;
  /** The container's own path. */
  readonly path: string;
  /** Object: the last key read. Array: items so far. */
  key: string;
  index: number;
}

/**
 * Reads the start of a compact JSON text (as ElementScanner writes it, so well-formed as far as it goes)
 * and tells where its next token would go: the path of the value in progress, named from `element`. For
 * what the scanner meets between tokens (bytes that are not UTF-8, a repeated key); O(length), rare.
 */
export function locateJsonEnd(start: string): JsonEnd {
  const frames: Frame[] = [];
  /** The last token was a key's colon: the next value is that key's. */
  let afterColon = false;
  const childPath = (): string => {
    const frame = frames[frames.length - 1];
    if (frame === undefined) return "element";
    return frame.isObject ? `${frame.path}.${frame.key}` : `${frame.path}[${frame.index}]`;
  };
  for (let i = 0; i < start.length; i++) {
    const c = start[i];
    if (c === '"') {
      const close = endOfString(start, i);
      const frame = frames[frames.length - 1];
      if (frame?.isObject === true && !afterColon)
        frame.key = JSON.parse(start.slice(i, close + 1)) as string;
      else afterColon = false;
      i = close;
    } else if (c === "{" || c === "[") {
      frames.push({ isObject: c === "{", path: childPath(), key: "", index: 0 });
      afterColon = false;
    } else if (c === "}" || c === "]") {
      frames.pop();
      afterColon = false;
    } else if (c === ":") {
      afterColon = true;
    } else if (c === ",") {
      const frame = frames[frames.length - 1];
      if (frame !== undefined && !frame.isObject) frame.index += 1;
      afterColon = false;
    }
  }
  const frame = frames[frames.length - 1];
  const container = frame?.path ?? "element";
  if (frame?.isObject === true && !afterColon) return { path: frame.path, atKey: true, container };
  return { path: childPath(), atKey: false, container };
}

/** Index of the quote that closes the string opening at `open`. */
function endOfString(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i += 1;
    else if (c === '"') return i;
  }
  return text.length - 1;
}
