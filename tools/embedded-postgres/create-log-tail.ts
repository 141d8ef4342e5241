export interface LogTail {
  /** Takes a chunk of output (one or more lines) and passes each non-empty line on. */
  readonly write: (chunk: string) => void;
  /** The last lines written, oldest first, for error messages. */
  readonly lines: () => readonly string[];
}

/** Keeps the last `maxLines` lines of a child process's output and forwards every line to `onLine`. */
export function createLogTail(maxLines: number, onLine: (line: string) => void = () => undefined): LogTail {
  const kept: string[] = [];
  return Object.freeze({
    write(chunk: string): void {
      for (const line of chunk.split(/\r?\n/)) {
        if (line.trim() === "") continue;
        kept.push(line);
        if (kept.length > maxLines) kept.shift();
        onLine(line);
      }
    },
    lines: () => [...kept],
  });
}
