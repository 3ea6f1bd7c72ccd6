/** Loose spellings of recipe names, so deploy_runtimes.sh and --runtime names find recipes. */

/**
 * What is left of a spelling once case, separators and vendor words are ignored:
 * `python-3.11-ml`, `python3.11-ml`, `python:3.11+ml` and `Python_3.11_ML` all become `python3.11ml`;
 * `openjdk-17` and `java17` become `java17`; `nodejs-18` becomes `node18`.
 */
export function spellingKey(s: string): string {
  return s
    .toLowerCase()
    .replace(/^(openjdk|jdk)(?=[^a-z]|$)/, 'java')
    .replace(/^nodejs(?=[^a-z]|$)/, 'node')
    .replace(/[^a-z0-9.]/g, '');
}
