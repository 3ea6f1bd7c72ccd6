/**
 * "Did you mean": loose spellings of runtime and recipe names, and the close candidates to offer
 * when a name matches nothing. No imports: the runner's error path (`jrt exec`) uses it too.
 */

/**
 * What is left of a name once case, separators, dots and vendor words are ignored. All of these
 * become `python311ml`: `python-3.11-ml`, `python3.11-ml`, `python:3.11+ml`, `Python_3.11_ML`,
 * `python_3_11_ml` and `setup_python_3_11_ml.sh` (the original scripts' names).
 * `openjdk-17`, `jdk17` and `java-17-runtime-complete` become `java17`; `nodejs-18` becomes `node18`.
 */
export function spellingKey(s: string): string {
  return s
    .toLowerCase()
    .replace(/^setup[-_]/, '')
    .replace(/\.sh$/, '')
    .replace(/[-_]runtime([-_]complete)?$/, '')
    .replace(/^(openjdk|jdk)(?=[^a-z]|$)/, 'java')
    .replace(/^nodejs(?=[^a-z]|$)/, 'node')
    .replace(/[^a-z0-9]/g, '');
}

/** Levenshtein distance; names and keys are short. */
export function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** How far a candidate's spelling is from the wanted one; containing it (`python` in `python311ml`) is near. */
function nearness(wanted: string, candidate: string): number {
  if (wanted === candidate) return 0;
  const shorter = Math.min(wanted.length, candidate.length);
  if (shorter >= 3 && (candidate.includes(wanted) || wanted.includes(candidate))) return 0.5;
  return editDistance(wanted, candidate);
}

/** Up to five candidates within a small edit distance of their spellings, closest first. */
export function closeNames(wanted: string, candidates: string[]): string[] {
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  const key = spellingKey(wanted);
  return [...new Set(candidates)]
    .map((c) => ({ c, d: nearness(key, spellingKey(c)) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 5)
    .map((x) => x.c);
}

/** The names of the things closest to `wanted`, each compared by its name and its aliases. */
export function closestNames(
  wanted: string,
  things: { name: string; aliases: readonly string[] }[],
): string[] {
  const nameOf = new Map(things.flatMap((t) => [t.name, ...t.aliases].map((n) => [n, t.name] as const)));
  return [...new Set(closeNames(wanted, [...nameOf.keys()]).map((n) => nameOf.get(n) as string))];
}
