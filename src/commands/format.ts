/** 1234567 → "1,234,567" (fixed locale so output does not depend on the machine). */
export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

/** Milliseconds as a short human duration: 950ms, 12.3s, 4m05s, 2h03m. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600)
    return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, "0")}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}
