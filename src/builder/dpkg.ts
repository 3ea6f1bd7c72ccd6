/**
 * The dpkg database of a build root: what is installed, what depends on what, which files each
 * package owns. Parsers are pure (text in, data out); `readDpkgDb` is the one reader.
 */
import { failure } from '../core/errors.js';
import { readdirInRoot, readFileInRoot } from './root-path.js';

/** One alternative of a dependency: `name[:arch] [(op version)]`. Versions and arch are kept for messages only. */
export interface DepAtom {
  name: string;
  constraint?: string;
}

/** `a | b` — satisfied by the first alternative that is installed. */
export type DepClause = DepAtom[];

export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string;
  multiArch: string;
  essential: boolean;
  depends: DepClause[];
  preDepends: DepClause[];
  /** Virtual package names this package provides (versions dropped). */
  provides: string[];
  /** Conffile paths (from the status stanza). */
  conffiles: string[];
}

export interface DpkgDb {
  /** Installed packages by name (one architecture per name: the native one wins over foreign ones). */
  packages: Map<string, DpkgPackage>;
  /** Virtual name → installed packages providing it, sorted by name. */
  providers: Map<string, string[]>;
}

/** Split deb822 text into stanzas of field → value (continuation lines joined with '\n'). */
export function parseDeb822(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last !== undefined) current.set(last, `${current.get(last) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    current.set(last, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/** Parse a Depends-style field: `a (>= 1) | b:any, c [amd64] <!nocheck>`. */
export function parseDepends(value: string | undefined): DepClause[] {
  if (!value) return [];
  const clauses: DepClause[] = [];
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const clause: DepClause = [];
    for (const alt of part.split('|')) {
      const m = /^\s*([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?\s*(?:\(([^)]*)\))?/i.exec(alt);
      if (!m?.[1]) continue;
      const atom: DepAtom = { name: m[1] };
      if (m[2]) atom.constraint = m[2].replace(/\s+/g, ' ').trim();
      clause.push(atom);
    }
    if (clause.length > 0) clauses.push(clause);
  }
  return clauses;
}

/** Whether a Status field means the package's files are on disk and configured (or half so). */
export function isInstalledStatus(status: string | undefined): boolean {
  const state = status?.trim().split(/\s+/)[2];
  return state === 'installed';
}

/** Parse `var/lib/dpkg/status` into a database. `nativeArch` wins when a name is installed for two archs. */
export function parseStatus(text: string, nativeArch = 'amd64'): DpkgDb {
  const packages = new Map<string, DpkgPackage>();
  for (const s of parseDeb822(text)) {
    const name = s.get('Package');
    if (!name || !isInstalledStatus(s.get('Status'))) continue;
    const pkg: DpkgPackage = {
      name,
      version: s.get('Version') ?? '',
      architecture: s.get('Architecture') ?? 'all',
      multiArch: s.get('Multi-Arch') ?? 'no',
      essential: s.get('Essential') === 'yes',
      depends: parseDepends(s.get('Depends')),
      preDepends: parseDepends(s.get('Pre-Depends')),
      provides: parseDepends(s.get('Provides')).flatMap((c) => c.map((a) => a.name)),
      conffiles: (s.get('Conffiles') ?? '')
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0] ?? '')
        .filter((p) => p.startsWith('/')),
    };
    const existing = packages.get(name);
    if (existing && existing.architecture === nativeArch) continue;
    if (existing && pkg.architecture !== nativeArch && pkg.architecture !== 'all') continue;
    packages.set(name, pkg);
  }
  const providers = new Map<string, string[]>();
  for (const pkg of packages.values()) {
    for (const v of pkg.provides) {
      const list = providers.get(v) ?? [];
      list.push(pkg.name);
      providers.set(v, list);
    }
  }
  for (const list of providers.values()) list.sort();
  return { packages, providers };
}

/** Parse a `info/<pkg>.list` file: one absolute path per line; `/.` is the root itself and is dropped. */
export function parseFileList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/') && l !== '/.' && l !== '/');
}

const ARCH_BY_NODE: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf' };

export function nativeDebianArch(): string {
  return ARCH_BY_NODE[process.arch] ?? process.arch;
}

/**
 * Read the dpkg database of `root`. Every file of it is read inside the root (a build step may have
 * made any of them a symlink): never through the host's own filesystem.
 */
export async function readDpkgDb(root: string, nativeArch = nativeDebianArch()): Promise<DpkgDb> {
  const text = await readFileInRoot(root, '/var/lib/dpkg/status');
  if (text === undefined) {
    throw failure(
      'ERR_JRT_CLOSURE_NO_DPKG',
      `cannot read the dpkg database /var/lib/dpkg/status of the build root ${root}`,
      {
        hint: 'the build root must be a Debian root with packages installed by dpkg/apt',
      },
    );
  }
  return parseStatus(text, nativeArch);
}

/** The files a package owns, as listed by dpkg (`<pkg>:<arch>.list` for Multi-Arch: same, else `<pkg>.list`). */
export async function readPackageFiles(root: string, pkg: DpkgPackage): Promise<string[]> {
  // Names come from the status file a step may have written: one path component, nothing more.
  for (const base of [`${pkg.name}:${pkg.architecture}`, pkg.name]) {
    if (base.includes('/')) continue;
    const text = await readFileInRoot(root, `/var/lib/dpkg/info/${base}.list`);
    if (text !== undefined) return parseFileList(text);
  }
  throw failure(
    'ERR_JRT_CLOSURE_NO_DPKG',
    `dpkg has no file list for ${pkg.name} in /var/lib/dpkg/info of the build root ${root}`,
  );
}

/** One update-alternatives group: its master, its slaves, and every choice with its priority. */
export interface AlternativeGroup {
  name: string;
  link: string;
  slaves: { name: string; link: string }[];
  /** `slavePaths[i]` belongs to `slaves[i]` ('' when the choice provides none). */
  choices: { path: string; priority: number; slavePaths: string[] }[];
}

/**
 * Parse `var/lib/dpkg/alternatives/<name>`: mode, master link, slave name/link pairs, a blank line,
 * then per choice its path, its priority and one line per slave. Pure.
 */
export function parseAlternative(name: string, text: string): AlternativeGroup {
  const lines = text.split('\n').map((l) => l.trim());
  const group: AlternativeGroup = { name, link: lines[1] ?? '', slaves: [], choices: [] };
  let i = 2;
  while (i + 1 < lines.length && lines[i] !== '') {
    group.slaves.push({ name: lines[i] as string, link: lines[i + 1] as string });
    i += 2;
  }
  i++;
  while (i + 1 < lines.length && lines[i] !== '') {
    const choice = { path: lines[i] as string, priority: Number(lines[i + 1]), slavePaths: [] as string[] };
    i += 2;
    for (let k = 0; k < group.slaves.length; k++) choice.slavePaths.push(lines[i++] ?? '');
    group.choices.push(choice);
  }
  return group;
}

export async function readAlternatives(root: string): Promise<AlternativeGroup[]> {
  const dir = '/var/lib/dpkg/alternatives';
  const groups: AlternativeGroup[] = [];
  for (const name of (await readdirInRoot(root, dir)).sort()) {
    const text = await readFileInRoot(root, `${dir}/${name}`);
    if (text !== undefined) groups.push(parseAlternative(name, text));
  }
  return groups;
}

export interface Diversion {
  /** Where the diverted package's file really is. */
  to: string;
  /** The package that diverted it (`:` for a local diversion). */
  by: string;
}

/** Parse `var/lib/dpkg/diversions`: groups of three lines (path, diverted-to path, diverting package). */
export function parseDiversions(text: string): Map<string, Diversion> {
  const lines = text.split('\n');
  const out = new Map<string, Diversion>();
  for (let i = 0; i + 2 < lines.length; i += 3) {
    const [from, to, by] = [lines[i]!.trim(), lines[i + 1]!.trim(), lines[i + 2]!.trim()];
    if (from.startsWith('/') && to.startsWith('/')) out.set(from, { to, by });
  }
  return out;
}

export async function readDiversions(root: string): Promise<Map<string, Diversion>> {
  return parseDiversions((await readFileInRoot(root, '/var/lib/dpkg/diversions')) ?? '');
}

/** Where a path a package lists really is: diverted away unless the package is the one diverting it. */
export function divertedPath(listed: string, pkg: string, diversions: Map<string, Diversion>): string {
  const d = diversions.get(listed);
  return d && d.by !== pkg ? d.to : listed;
}
