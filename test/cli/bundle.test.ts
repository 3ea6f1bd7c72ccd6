/**
 * What `node dist/jrt.mjs exec` has to compile before the job starts: dist/jrt.mjs, the exec chunk
 * and the chunks they import statically. Node compiles a module's whole source before running it, so
 * this set must stay small and hold no heavy package (and no node:zlib or node:stream, which cost
 * milliseconds to load). node:crypto is on the path since a runtime's runtime.json is trusted only
 * when it carries the sha256 of the runtime.yml beside it (src/core/runtime-identity.ts): loading it
 * and hashing a few kB measured 0.6 ms here. See ci/bundle.mjs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(import.meta.dirname, '../../dist');

/** Every chunk reachable from `file` through static imports, with its text. */
function staticClosure(file: string, seen = new Map<string, string>()): Map<string, string> {
  if (seen.has(file)) return seen;
  const text = readFileSync(path.join(DIST, file), 'utf8');
  seen.set(file, text);
  for (const m of text.matchAll(/^(?:import|export)[^;]*?from\s*"\.\/([^"]+)"|^import\s*"\.\/([^"]+)"/gm)) {
    staticClosure((m[1] ?? m[2]) as string, seen);
  }
  return seen;
}

describe('the bundle jrt exec loads', () => {
  if (!existsSync(path.join(DIST, 'jrt.mjs'))) {
    throw new Error(`${DIST}/jrt.mjs is missing: run 'npm run build' before the CLI tests`);
  }
  const entry = readFileSync(path.join(DIST, 'jrt.mjs'), 'utf8');
  const execChunk = /exec: async \(\) => \(await import\("\.\/([^"]+)"\)\)/.exec(entry)?.[1];

  it('is split: the exec command is a chunk of its own, imported on demand', () => {
    expect(execChunk).toMatch(/^jrt-exec-[A-Z0-9]+\.mjs$/);
  });

  it('holds no heavy package and no node:zlib or node:stream', () => {
    const loaded = staticClosure('jrt.mjs', staticClosure(execChunk as string));
    const text = [...loaded.values()].join('\n');
    // esbuild starts each bundled module with a `// <path>` comment.
    expect(text.match(/^\/\/ \S*node_modules\/.*$/gm) ?? []).toEqual([]);
    for (const heavy of ['yaml', 'ajv', 'listr2', 'execa', 'undici', 'tar', 'semver']) {
      expect(text).not.toMatch(new RegExp(`from "${heavy}"|import\\("${heavy}"\\)`));
    }
    for (const builtin of ['node:zlib', 'node:stream', 'node:stream/promises']) {
      expect(text).not.toContain(`from "${builtin}"`);
    }
  });

  it('is small: under 125 kB of source to compile (it was 2.1 MB as one file)', () => {
    const loaded = staticClosure('jrt.mjs', staticClosure(execChunk as string));
    const bytes = [...loaded.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);
    // 119 kB before issue 10, whose Joblet interop puts ~2.5 kB more on every job's start: the
    // runtime layouts of Joblet's tools, the job's /etc/hosts, host libraries for legacy runtimes.
    expect(bytes).toBeLessThan(125_000);
  });
});
