/**
 * `jrt exec` must start fast: nothing reachable from src/commands/exec.ts may import yaml, ajv,
 * listr2, execa or undici — except the one lazy `import('yaml')` for runtimes without runtime.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');
const HEAVY = ['yaml', 'ajv', 'listr2', 'execa', 'undici'];

function importsOf(file: string): { specifier: string; dynamic: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const out: { specifier: string; dynamic: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'/gm)) {
    out.push({ specifier: m[1] as string, dynamic: false });
  }
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm))
    out.push({ specifier: m[1] as string, dynamic: false });
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g))
    out.push({ specifier: m[1] as string, dynamic: true });
  return out;
}

/** Every module statically reachable from `entry`, with the imports each one makes. */
function reachable(entry: string): Map<string, { specifier: string; dynamic: boolean }[]> {
  const seen = new Map<string, { specifier: string; dynamic: boolean }[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    const imports = importsOf(file);
    seen.set(file, imports);
    for (const i of imports) {
      if (i.specifier.startsWith('.') && !i.dynamic) {
        queue.push(path.resolve(path.dirname(file), i.specifier.replace(/\.js$/, '.ts')));
      }
    }
  }
  return seen;
}

describe('the jrt exec fast path', () => {
  const graph = reachable(path.join(SRC, 'commands/exec.ts'));

  it('reaches the runner and nothing heavy', () => {
    expect([...graph.keys()].map((f) => path.relative(SRC, f)).sort()).toContain('runner/spawn.ts');
    const offenders: string[] = [];
    for (const [file, imports] of graph) {
      for (const i of imports) {
        const pkg = i.specifier.split('/')[0] as string;
        if (!HEAVY.includes(pkg)) continue;
        const allowed = i.dynamic && pkg === 'yaml' && file.endsWith(path.join('runner', 'resolve.ts'));
        if (!allowed)
          offenders.push(`${path.relative(SRC, file)} → ${i.specifier}${i.dynamic ? ' (dynamic)' : ''}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('starts processes only through node:child_process in spawn.ts', () => {
    const users = [...graph]
      .filter(([, imports]) => imports.some((i) => i.specifier === 'node:child_process'))
      .map(([f]) => path.relative(SRC, f));
    expect(users).toEqual(['runner/spawn.ts']);
  });
});
