/**
 * Debian's share of a host: the interpreters dpkg installed (python3.X, openjdk-N-*, nodejs,
 * golang-1.N-go, rustc), grouped into one install per series with every package that belongs to it,
 * and the update-alternatives choices that point at interpreters (a JDK unpacked by hand and
 * registered with update-alternatives shows up here and nowhere else).
 */
import path from 'node:path';
import {
  type DpkgDb,
  type DpkgPackage,
  parseAlternative,
  parseFileList,
  parseStatus,
} from '../builder/dpkg.js';
import type { HostView } from './host-view.js';
import { LANGUAGES, type Language, RULES, seriesOf } from './languages.js';
import { type HostInstall, installAt } from './types.js';
import { compareVersions, upstreamOfDebian } from './versions.js';

/** A big host's dpkg status is tens of MB; beyond this jrt refuses to read it. */
const MAX_STATUS = 256 << 20;
const MAX_LIST = 16 << 20;

export async function readHostDpkg(view: HostView, notes: string[]): Promise<DpkgDb | undefined> {
  const text = await view.readText('/var/lib/dpkg/status', MAX_STATUS);
  if (text === undefined) {
    if ((await view.kind('/var/lib/dpkg/status')) !== undefined)
      notes.push(
        '/var/lib/dpkg/status: not readable as a regular file under 256 MiB; Debian packages not scanned',
      );
    return undefined;
  }
  return parseStatus(text);
}

async function packageFiles(view: HostView, pkg: DpkgPackage): Promise<string[]> {
  for (const base of [`${pkg.name}:${pkg.architecture}`, pkg.name]) {
    const text = await view.readText(`/var/lib/dpkg/info/${base}.list`, MAX_LIST);
    if (text !== undefined) return parseFileList(text);
  }
  return [];
}

interface Group {
  language: Language;
  series: string;
  main: DpkgPackage[];
}

/** One install per language series, from the packages dpkg says are installed. */
export async function scanDebian(view: HostView, db: DpkgDb, notes: string[]): Promise<HostInstall[]> {
  const groups = new Map<string, Group>();
  for (const pkg of [...db.packages.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const language of LANGUAGES) {
      const named = RULES[language].debianMain(pkg.name);
      if (named === undefined) continue;
      const upstream = upstreamOfDebian(pkg.version);
      const series = named || (upstream && seriesOf(language, upstream));
      if (!series) continue;
      const key = `${language}:${series}`;
      const g = groups.get(key) ?? { language, series, main: [] };
      g.main.push(pkg);
      groups.set(key, g);
    }
  }
  const out: HostInstall[] = [];
  for (const g of groups.values()) {
    const rules = RULES[g.language];
    const related = [...db.packages.values()].filter((p) => rules.debianRelated(p.name, g.series));
    // The interpreter may sit in a sibling package (/usr/bin/python3.11 is python3.11-minimal's).
    let command: string | undefined;
    for (const pkg of [...g.main, ...related.filter((p) => !g.main.includes(p))]) {
      command ??= (await packageFiles(view, pkg)).find((f) => rules.debianCommand.test(f));
    }
    const names = g.main.map((p) => p.name).join(', ');
    if (!command) {
      notes.push(`${names}: installed, but dpkg lists no ${g.language} interpreter among its files`);
      continue;
    }
    const version = g.main
      .map((p) => upstreamOfDebian(p.version))
      .filter((v): v is string => v !== undefined)
      .sort(compareVersions)
      .at(-1);
    out.push({
      language: g.language,
      version: version ?? g.series,
      source: 'debian',
      where:
        g.language === 'java' || g.language === 'go'
          ? path.posix.dirname(path.posix.dirname(command))
          : command,
      command,
      packages: related
        .map((p) => ({ name: p.name, version: p.version }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      via: [],
    });
  }
  return out;
}

/** Alternatives that name an interpreter: `java`, `python3`, `node`, ... */
const ALTERNATIVE_NAMES: Record<string, Language> = {
  java: 'java',
  python: 'python',
  python3: 'python',
  node: 'node',
  nodejs: 'node',
  go: 'go',
  rustc: 'rust',
};

/**
 * Every update-alternatives choice for an interpreter: attached to the install it belongs to, or,
 * for a tree no package owns (a JDK unpacked by hand and registered), a new install.
 */
export async function scanAlternatives(
  view: HostView,
  known: HostInstall[],
  notes: string[],
): Promise<HostInstall[]> {
  const found: HostInstall[] = [];
  for (const [name, language] of Object.entries(ALTERNATIVE_NAMES)) {
    const text = await view.readText(`/var/lib/dpkg/alternatives/${name}`);
    if (text === undefined) continue;
    const selected = await view.resolve(`/etc/alternatives/${name}`);
    for (const choice of parseAlternative(name, text).choices) {
      if (!choice.path.startsWith('/')) continue;
      const real = (await view.resolve(choice.path)) ?? choice.path;
      const label = `update-alternatives ${name}${real === selected ? ' (selected)' : ''}: ${choice.path}`;
      const owner = installAt([...known, ...found], real);
      if (owner) {
        owner.via.push(label);
        owner.alternatives = [...(owner.alternatives ?? []), { name, path: choice.path }];
        continue;
      }
      const home = path.posix.dirname(path.posix.dirname(real));
      const detected = await RULES[language].detect(view, home);
      if (!detected) {
        notes.push(`${label}: no ${language} version found in ${home}`);
        continue;
      }
      found.push({
        language,
        ...detected,
        source: 'alternatives',
        where: home,
        via: [label],
        alternatives: [{ name, path: choice.path }],
      });
    }
  }
  return found;
}
