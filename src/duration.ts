const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses a duration such as `90s`, `15m`, `1h`, `1h30m`, `7d` or `250ms` into milliseconds.
 * Returns undefined when the text is not such a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (trimmed === "0") return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match !== null; match = part.exec(trimmed)) {
    const [, amount, unit] = match;
    if (amount === undefined || unit === undefined) return undefined;
    total += Number(amount) * unitMs[unit as keyof typeof unitMs];
    consumed = part.lastIndex;
  }
  if (consumed !== trimmed.length) return undefined;
  return Math.round(total);
}

/** `3600000` → `1h`, `5400000` → `1h30m`: the inverse of parseDurationMs for whole units. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of [
    ["d", unitMs.d],
    ["h", unitMs.h],
    ["m", unitMs.m],
    ["s", unitMs.s],
    ["ms", unitMs.ms],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
