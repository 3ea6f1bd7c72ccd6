// Builds jrt into dist/, three bundles and two native helpers:
// - dist/jrt.cjs: the `jrt` command (src/bin.ts), a launcher of a few lines;
// - dist/jrt-exec.cjs (+ .cache): `jrt exec` alone (src/exec-main.ts), one CommonJS file that the
//   launcher compiles from a V8 code cache made here (src/core/code-cache.ts);
// - dist/jrt-main.mjs: the whole CLI (src/cli.ts), plus the chunks it imports on demand
//   (dist/jrt-*.mjs, next to it: src/core/paths.ts finds the package root from dist/).
//
// Why the whole CLI is split into chunks: Node compiles an ES module's whole source before running
// any of it, and esbuild hoists every `node:*` import of a lazily imported module to the top of a
// single-file bundle. One 2 MB file cost ~45 ms before its first line ran. Split, a command compiles
// only the command table, its own code and its builtins; undici, execa, yaml, ajv and listr2 are
// separate chunks loaded only by the commands that import them.
//
// Why exec is one file of its own: every job starts through it, and most of what jrt itself adds to a
// job's start is V8 parsing and compiling jrt. A code cache removes that, but Node 20 has one only for
// scripts (vm.Script), not for ES modules; and one file is one read where 19 chunks were 19 module
// loads. Measured in docs/exec.md ("Start-up cost").
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../dist');

/**
 * With splitting, `await import('undici')` of a CommonJS package becomes an import of a chunk that
 * only has `export default module.exports`, so `(await import('undici')).Agent` would be undefined.
 * Each dynamically imported package is therefore reached through a small ES module that re-exports
 * its properties by name (listed by loading the package here, at build time).
 */
const namedExportsOfDynamicImports = {
  name: 'named-exports-of-dynamic-imports',
  setup(b) {
    const require = createRequire(import.meta.url);
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
      return { path: args.path, namespace: 'dynamic-package', pluginData: { resolveDir: args.resolveDir } };
    });
    b.onLoad({ filter: /.*/, namespace: 'dynamic-package' }, (args) => {
      const spec = JSON.stringify(args.path);
      const loaded = require(args.path);
      const resolveDir = args.pluginData.resolveDir;
      // An ES module (require() returns its namespace) needs no help.
      if (Object.prototype.toString.call(loaded) === '[object Module]') {
        const withDefault = 'default' in loaded ? `export { default } from ${spec};\n` : '';
        return { resolveDir, contents: `export * from ${spec};\n${withDefault}` };
      }
      const names = Object.keys(loaded).filter(
        (k) => k !== 'default' && k !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(k),
      );
      const contents = [
        `import * as m from ${spec};`,
        'export default m.default;',
        `export const { ${names.join(', ')} } = m;`,
      ].join('\n');
      return { resolveDir, contents };
    });
  },
};

const result = await build({
  entryPoints: { 'jrt-main': 'src/cli.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'jrt-[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  plugins: [namedExportsOfDynamicImports],
  define: { __JRT_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: [
      "import { createRequire as __jrtCreateRequire } from 'node:module';",
      'const require = __jrtCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
});

// Chunk names carry a content hash: remove the chunks of earlier builds that this one no longer uses
// (and dist/jrt.mjs, the entry of builds before the launcher).
const current = new Set(Object.keys(result.metafile.outputs).map((f) => path.basename(f)));
for (const name of readdirSync(outdir)) {
  if (/^jrt(-.*)?\.mjs$/.test(name) && !current.has(name)) rmSync(path.join(outdir, name), { force: true });
}

// The exec bundle and the launcher: CommonJS, one file each. In the exec bundle every dynamic import
// becomes a require() of code inside the same file (`dynamic-import: false`), run only when reached;
// import.meta.url, which src/core/paths.ts and the helpers' paths use, is the wrapper's __jrtUrl.
const cjs = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  define: { __JRT_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__jrtUrl' },
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};
await build({ ...cjs, entryPoints: ['src/exec-main.ts'], outfile: path.join(outdir, 'jrt-exec.cjs') });
await build({
  ...cjs,
  entryPoints: ['src/bin.ts'],
  outfile: path.join(outdir, 'jrt.cjs'),
  // The launcher's own `import()` of the whole CLI must stay an import: it is an ES module.
  supported: {},
  define: {},
});
chmodSync(path.join(outdir, 'jrt.cjs'), 0o755);

// native/*.c → dist/: the two things of jrt Node cannot do (see each file). Built here, for this
// machine, with the system's C compiler: `jrt exec` needs jrt-idmap (idmapped mounts), `jrt build`
// jrt-userns (a user namespace whose ids are a whole unprivileged host range).
for (const [name, needs] of [
  ['jrt-idmap', 'jrt exec'],
  ['jrt-userns', 'jrt build'],
]) {
  const helper = path.join(outdir, name);
  const source = path.resolve(outdir, `../native/${name}.c`);
  const cc = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', `${helper}.tmp`, source], {
    stdio: 'inherit',
  });
  if (cc.error || cc.status !== 0) {
    console.error(
      `ci/bundle.mjs: cannot compile ${source} (${cc.error?.message ?? `cc exited ${cc.status}`}): ${needs} needs it; install a C compiler and the kernel headers (apt-get install gcc libc6-dev linux-libc-dev)`,
    );
    process.exit(1);
  }
  renameSync(`${helper}.tmp`, helper);
}

// The exec bundle's code cache, made by this Node: a run of `jrt exec` against an empty runtimes root
// (it stops at "no installed runtime") compiles what every job's start compiles. Nothing it does
// leaves this temp directory.
const warm = mkdtempSync(path.join(os.tmpdir(), 'jrt-code-cache-'));
try {
  const launcher = path.join(outdir, 'jrt.cjs');
  const made = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(launcher)}).writeCodeCache(${JSON.stringify(path.join(outdir, 'jrt-exec.cjs'))}, ['exec', '--runtime=code-cache-warm-up:0', '--', 'true'], require).then((n) => console.log(n))`,
    ],
    {
      env: {
        PATH: process.env.PATH,
        JRT_ROOT: path.join(warm, 'root'),
        JRT_STATE: path.join(warm, 'state'),
        JRT_CACHE: path.join(warm, 'cache'),
        JRT_LOG: path.join(warm, 'log'),
        JRT_EXEC_CONFIG: path.join(warm, 'exec.conf'),
      },
      encoding: 'utf8',
    },
  );
  if (made.status !== 0 || !/^\d+$/.test(made.stdout.trim())) {
    console.error(`ci/bundle.mjs: cannot make the exec bundle's code cache: ${made.stderr || made.stdout}`);
    process.exit(1);
  }
} finally {
  rmSync(warm, { recursive: true, force: true });
}
