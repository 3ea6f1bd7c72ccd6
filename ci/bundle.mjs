// Bundles src/cli.ts into one ESM file, dist/jrt.mjs, the package's `bin`.
// Command modules are imported lazily in src/main.ts; esbuild keeps them as lazily-initialised
// sections of the same file, so `jrt exec` does not evaluate YAML, ajv or listr2.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/jrt.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  define: { __JRT_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: [
      "import { createRequire as __jrtCreateRequire } from 'node:module';",
      'const require = __jrtCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
