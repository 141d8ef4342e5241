/** Edits (insertions, deletions, substitutions) that turn `a` into `b`. */
function countEdits(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The flag `given` (without dashes) most likely meant: the candidate fewest edits away, when that is at
 * most a third of its length (at least 2: `dryrun` → `dry-run`, `max_age` → `max-age`), ignoring case
 * and `_` for `-`. Undefined when nothing is that close.
 */
export function findNearestFlag(given: string, candidates: readonly string[]): string | undefined {
  const wanted = given.toLowerCase().replaceAll("_", "-");
  let best: { flag: string; edits: number } | undefined;
  for (const flag of candidates) {
    const edits = countEdits(wanted, flag);
    if (edits <= Math.max(2, Math.floor(flag.length / 3)) && (best === undefined || edits < best.edits)) {
      best = { flag, edits };
    }
  }
  return best?.flag;
}
