/**
 * What migration knows about each language, as one table: the commands that start it, how its
 * Debian packages are named, how to recognise an install in a directory and read its version
 * without running it, and how long its series is. Adding a language is one entry; a missing piece
 * is a type error.
 */
import type { HostView } from './host-view.js';
import {
  goVersionFile,
  javaRelease,
  nodeVersionHeader,
  pythonPatchlevel,
  rustcManifestVersion,
} from './versions.js';

export const LANGUAGES = ['python', 'java', 'node', 'go', 'rust'] as const;
export type Language = (typeof LANGUAGES)[number];

/** An install recognised in a directory (a prefix, a JDK home, a Go root, a toolchain). */
export interface Detected {
  version: string;
  /** The interpreter inside it, in-root absolute. */
  command: string;
}

export interface LanguageRules {
  /** Commands that start it, as jobs and PATH name them (`python3.11` is matched by pattern below). */
  commands: string[];
  /** Leading version parts that make a series: python 3.11, java 17, node 18, go 1.22, rust 1.85. */
  seriesParts: number;
  /** The series a Debian package is the interpreter of (`python3.11` → `3.11`, `nodejs` → ''), else undefined. */
  debianMain(pkg: string): string | undefined;
  /** Whether a package belongs to the install of that series (removed with it). */
  debianRelated(pkg: string, series: string): boolean;
  /** The interpreter among a package's files (`/usr/bin/python3.11`, `/usr/lib/jvm/…/bin/java`). */
  debianCommand: RegExp;
  /** Recognise an install in `dir` (in-root absolute). */
  detect(view: HostView, dir: string): Promise<Detected | undefined>;
}

const esc = (s: string) => s.replace(/[.+]/g, '\\$&');

async function fileIn(view: HostView, p: string): Promise<boolean> {
  return (await view.kind(p)) === 'file';
}

/** The Python `bin/<name>` (`python3.11`) of a prefix, its version from include/<name>/patchlevel.h (else X.Y). */
export async function pythonIn(view: HostView, dir: string, name: string): Promise<Detected | undefined> {
  if (!(await fileIn(view, `${dir}/bin/${name}`))) return undefined;
  const header = await view.readText(`${dir}/include/${name}/patchlevel.h`);
  const version = (header && pythonPatchlevel(header)) ?? name.slice('python'.length);
  return { version, command: `${dir}/bin/${name}` };
}

/** A Python prefix: its newest bin/pythonX.Y. */
async function detectPython(view: HostView, dir: string): Promise<Detected | undefined> {
  const names = (await view.list(`${dir}/bin`)).filter((n) => /^python[23]\.[0-9]+$/.test(n));
  const newest = names.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])).at(-1);
  return newest ? pythonIn(view, dir, newest) : undefined;
}

async function detectWith(
  view: HostView,
  dir: string,
  command: string,
  versionFile: string,
  parse: (text: string) => string | undefined,
): Promise<Detected | undefined> {
  if (!(await fileIn(view, `${dir}/${command}`))) return undefined;
  const text = await view.readText(
    `${dir}/${versionFile}`,
    versionFile.endsWith('.toml') ? 8 << 20 : undefined,
  );
  const version = text === undefined ? undefined : parse(text);
  return version ? { version, command: `${dir}/${command}` } : undefined;
}

export const RULES: Record<Language, LanguageRules> = {
  python: {
    commands: ['python3', 'python'],
    seriesParts: 2,
    debianMain: (p) => /^python([23]\.[0-9]+)$/.exec(p)?.[1],
    debianRelated: (p, s) => new RegExp(`^(lib)?python${esc(s)}(-[a-z0-9.+-]+)?$`).test(p),
    debianCommand: /^\/usr\/bin\/python[23]\.[0-9]+$/,
    detect: detectPython,
  },
  java: {
    commands: ['java'],
    seriesParts: 1,
    debianMain: (p) => /^openjdk-([0-9]+)-(jre|jdk)(-headless)?$/.exec(p)?.[1],
    debianRelated: (p, s) => p.startsWith(`openjdk-${s}-`),
    debianCommand: /^\/usr\/lib\/jvm\/[^/]+\/bin\/java$/,
    detect: (view, dir) => detectWith(view, dir, 'bin/java', 'release', javaRelease),
  },
  node: {
    commands: ['node', 'nodejs'],
    seriesParts: 1,
    debianMain: (p) => (p === 'nodejs' ? '' : undefined),
    debianRelated: (p) => p === 'nodejs' || p === 'nodejs-doc' || /^libnode[0-9]+$/.test(p),
    debianCommand: /^\/usr\/bin\/node(js)?$/,
    detect: (view, dir) =>
      detectWith(view, dir, 'bin/node', 'include/node/node_version.h', nodeVersionHeader),
  },
  go: {
    commands: ['go'],
    seriesParts: 2,
    debianMain: (p) => /^golang-([0-9]+\.[0-9]+)-go$/.exec(p)?.[1],
    debianRelated: (p, s) => p === `golang-${s}` || p.startsWith(`golang-${s}-`),
    debianCommand: /^\/usr\/lib\/go-[0-9.]+\/bin\/go$/,
    detect: (view, dir) => detectWith(view, dir, 'bin/go', 'VERSION', goVersionFile),
  },
  rust: {
    commands: ['rustc', 'cargo'],
    seriesParts: 2,
    debianMain: (p) => (p === 'rustc' ? '' : undefined),
    debianRelated: (p) => p === 'rustc' || p === 'libstd-rust-dev' || /^libstd-rust-[0-9.]+$/.test(p),
    debianCommand: /^\/usr\/bin\/rustc$/,
    detect: (view, dir) =>
      detectWith(view, dir, 'bin/rustc', 'lib/rustlib/multirust-channel-manifest.toml', rustcManifestVersion),
  },
};

/** The language (and series, when the name says it) a command starts: `python3.11`, `/usr/bin/java`, `node`. */
export function languageOfCommand(command: string): { language: Language; series?: string } | undefined {
  const base = command.split('/').at(-1) ?? '';
  const py = /^python([23]\.[0-9]+)$/.exec(base);
  if (py) return { language: 'python', series: py[1] as string };
  for (const language of LANGUAGES) if (RULES[language].commands.includes(base)) return { language };
  return undefined;
}

export function seriesOf(language: Language, version: string): string {
  return version.split('.').slice(0, RULES[language].seriesParts).join('.');
}
