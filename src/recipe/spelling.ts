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
