import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('docs/errors.md', () => {
  it('documents every error code the source uses, and no code the source lost', () => {
    const used = new Set(
      sources(path.join(ROOT, 'src')).flatMap(
        (f) => readFileSync(f, 'utf8').match(/ERR_JRT_[A-Z0-9_]+/g) ?? [],
      ),
    );
    const documented = new Set(
      readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8').match(/ERR_JRT_[A-Z0-9_]+/g) ?? [],
    );
    expect([...used].filter((c) => !documented.has(c)).sort()).toEqual([]);
    expect([...documented].filter((c) => !used.has(c)).sort()).toEqual([]);
  });
});
