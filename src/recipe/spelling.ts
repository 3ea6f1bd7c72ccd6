/** Loose spellings of recipe names, so deploy_runtimes.sh and --runtime names find recipes. */

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

/** Levenshtein distance; recipe names and keys are short. */
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
