// "Did you mean …?" for names a user typed: workflow types, input keys. Pure TypeScript with no
// imports, so workflow code (the deterministic sandbox) can use it as well as clients and activities.

/**
 * Edit distance between two strings: the fewest single-character insertions, deletions,
 * substitutions and swaps of two adjacent characters that turn `a` into `b` (optimal string
 * alignment; a swap — the commonest typo — counts as one edit, not two). Case-sensitive, counted
 * in UTF-16 code units.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rows of the dynamic-programming table: i-2, i-1 and i.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      cur[j] = d;
    }
    [before, prev, cur] = [prev, cur, before];
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `name`, if one is close enough to be what was meant: names equal but
 * for case count as distance 0, others as the edit distance ignoring case, and a candidate is
 * offered only when that distance is at most `maxDistance` and smaller than the longer name's
 * length (so 'foo' never suggests 'bar': replacing every character is not a typo). Ties go to the
 * smaller case-sensitive distance, then to the earlier candidate. Undefined when nothing is close.
 */
export function closestName(name: string, candidates: readonly string[], maxDistance = 3): string | undefined {
  const lower = name.toLowerCase();
  let best: { candidate: string; distance: number; exact: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance > maxDistance || (distance > 0 && distance >= Math.max(name.length, candidate.length))) continue;
    const exact = editDistance(name, candidate);
    if (!best || distance < best.distance || (distance === best.distance && exact < best.exact)) best = { candidate, distance, exact };
  }
  return best?.candidate;
}
