// Bundles src/cli.ts into dist/jrt.mjs, the package's `bin`, plus the chunks it imports on demand
// (dist/jrt-*.mjs, next to it: src/core/paths.ts finds the package root from dist/).
//
// Why chunks and not one file: Node compiles an ES module's whole source before running any of it,
// and esbuild hoists every `node:*` import of a lazily imported module to the top of a single-file
// bundle. One 2 MB file cost `jrt exec` ~45 ms before its first line ran (V8's compileSourceTextModule
// ~25 ms, decoding the source, loading node:zlib/crypto/stream). Split, `jrt exec` compiles only the
// command table, the runner and its builtins; undici, execa, yaml, ajv and listr2 are separate chunks
// loaded only by the commands that import them.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  entryPoints: { jrt: 'src/cli.ts' },
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

// Chunk names carry a content hash: remove the chunks of earlier builds that this one no longer uses.
const current = new Set(Object.keys(result.metafile.outputs).map((f) => path.basename(f)));
for (const name of readdirSync(outdir)) {
  if (/^jrt-.*\.mjs$/.test(name) && !current.has(name)) rmSync(path.join(outdir, name), { force: true });
}

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
