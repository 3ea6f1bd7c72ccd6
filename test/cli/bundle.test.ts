/**
 * How `jrt` starts (ci/bundle.mjs, src/bin.ts, src/core/code-cache.ts): a command line naming `exec`
 * runs in the exec bundle, one CommonJS file compiled from a V8 code cache made at build time; every
 * other command loads the whole CLI. What the exec bundle runs at start must stay small: nothing of a
 * heavy package, no node:zlib, node:stream or node:crypto, which cost milliseconds to load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileExecBundle } from '../../src/core/code-cache.js';
import { BUNDLE, type JrtHome, makeJrtHome, runJrt } from '../helpers/jrt.js';
import { tempDir } from '../helpers/temp.js';

const DIST = path.dirname(BUNDLE);
const EXEC_BUNDLE = path.join(DIST, 'jrt-exec.cjs');

if (!existsSync(EXEC_BUNDLE)) {
  throw new Error(`${EXEC_BUNDLE} is missing: run 'npm run build' before the CLI tests`);
}

describe('the exec bundle', () => {
  const text = readFileSync(EXEC_BUNDLE, 'utf8');

  it('runs no bundled package and no heavy builtin at start: those load only when reached', () => {
    // esbuild starts each bundled module with a `// <path>` comment. A package's module must be wrapped
    // so that it runs only when first required: `var require_x = __commonJS(...)` for CommonJS, or
    // indented inside an `__esm` wrapper.
    const packages = [...text.matchAll(/^(\s*)\/\/ (\S*node_modules\/\S+)\n(.*)$/gm)];
    expect(packages.length).toBeGreaterThan(0);
    const eagerPackages = packages.filter(
      ([, indent, , next]) => indent === '' && !/^var require_\w+ = __commonJS\(/.test(next as string),
    );
    expect(eagerPackages.map((m) => m[2])).toEqual([]);
    const eager = [...text.matchAll(/^var \w+ = (?:__toESM\()?require\("([^"]+)"\)/gm)].map((m) => m[1]);
    expect(eager.length).toBeGreaterThan(0);
    for (const heavy of ['node:zlib', 'node:stream', 'node:stream/promises', 'node:crypto', 'node:dns']) {
      expect(eager).not.toContain(heavy);
    }
    // The YAML parser is in the file (a runtime installed by 0.2.0 needs it), reached by a require.
    expect(packages.some((m) => /node_modules\/yaml\//.test(m[2] as string))).toBe(true);
  });

  it('has a code cache this Node takes (made by the build, with this Node)', () => {
    expect(compileExecBundle(EXEC_BUNDLE).cache).toBe('accepted');
  });
});

describe('jrt starts exec from the code cache, and runs without it', () => {
  let h: JrtHome;
  let copy: string;
  const trace = { JRT_EXEC_TRACE: '1' };
  const args = ['exec', '--runtime=nothing-installed:1', '--', 'true'];

  beforeAll(async () => {
    h = await makeJrtHome();
    copy = path.join(await tempDir('jrt-dist-'), 'dist');
    await cp(DIST, copy, { recursive: true });
  });
  afterAll(() => h?.dispose());

  it('names the cache it used, and gives exec every global flag the CLI takes before the command', async () => {
    const r = await runJrt(['--json', ...args], { env: { ...h.env, ...trace } });
    expect(r.stderr).toContain('jrt-trace: exec bundle, code cache accepted');
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('ERR_JRT_RUNTIME_NOT_FOUND');
  });

  it.each([
    ['missing', async (cache: string) => rm(cache)],
    ['rejected', async (cache: string) => writeFile(cache, Buffer.alloc(4096, 7))],
  ])(
    'a %s cache costs time, not correctness: the same result, and the trace says so',
    async (state, spoil) => {
      await cp(`${EXEC_BUNDLE}.cache`, path.join(copy, 'jrt-exec.cjs.cache'));
      await spoil(path.join(copy, 'jrt-exec.cjs.cache'));
      const bundle = path.join(copy, 'jrt.cjs');
      const spoilt = await runJrt(['--json', ...args], { env: { ...h.env, ...trace }, bundle });
      const good = await runJrt(['--json', ...args], { env: h.env });
      expect(spoilt.stderr).toContain(`jrt-trace: exec bundle, code cache ${state}`);
      expect([spoilt.exitCode, spoilt.stdout]).toEqual([good.exitCode, good.stdout]);
    },
  );

  it('hands every other command line to the whole CLI, even one with `exec` as a value', async () => {
    const version = await runJrt(['--version'], { env: { ...h.env, ...trace } });
    expect([version.exitCode, version.stderr]).toEqual([0, '']);
    // `exec` here is the runtimes root (a relative path), and the command is `list`.
    const list = await runJrt(['--json', '--root', 'exec', 'list'], {
      env: { ...h.env, ...trace },
      cwd: h.work,
    });
    expect(list.stderr).toContain('jrt-trace: exec bundle, code cache accepted');
    expect(list.exitCode).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
    const unknown = await runJrt(['exex'], { env: h.env });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'exex'");
  });
});
