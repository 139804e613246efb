// "Did you mean" candidates: Damerau-Levenshtein distance, small edits only.
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      const prev = d[i - 1]!;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

export function suggest(input: string, candidates: Iterable<string>, max = 2): string[] {
  const lower = input.toLowerCase();
  const limit = Math.max(2, Math.floor(input.length / 3));
  const close = [...candidates]
    .map((c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .filter(
      ({ c, d }) => d <= limit || c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase()),
    )
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  // A one-letter slip names one candidate; a second, much further one would only add noise.
  const best = close[0]?.d ?? 0;
  return close
    .filter(({ c, d }) => best > 1 || d <= best || c.toLowerCase().startsWith(lower))
    .slice(0, max)
    .map(({ c }) => c);
}
