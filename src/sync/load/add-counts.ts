/**
 * Adds two sets of counters field by field: a batch's into the run's (RunCounts), or a dry run's tallies
 * (BatchTally). Both sides have the same fields, all numbers.
 */
export function addCounts<Counts extends { readonly [Field in keyof Counts]: number }>(
  a: Counts,
  b: Counts,
): Counts {
  const sum: Record<string, number> = {};
  for (const field of Object.keys(a)) {
    sum[field] = a[field as keyof Counts] + b[field as keyof Counts];
  }
  return sum as Counts;
}
