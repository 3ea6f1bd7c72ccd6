/**
 * Strip a runtime tree of what only a full OS or a build needs. Plan (pure) then apply: the planner
 * marks entries by rule, then unmarks everything a kept symlink reaches (JDK's `docs` link into
 * /usr/share/doc, for one), so stripping never leaves a dangling link behind.
 */
import { rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type TreeEntry, walkTree } from '../core/tree-walk.js';
import type { StripRules } from '../recipe/types.js';
import { resolveInRoot } from './root-path.js';

/** Removed whatever the rules say: leftovers of installing (logs, apt and ldconfig caches, the dpkg db). */
const ALWAYS = ['/var/lib/dpkg', '/var/lib/apt', '/var/cache/ldconfig/aux-cache', '/etc/ld.so.cache'];
const DOCS = ['/usr/share/doc', '/usr/share/man', '/usr/share/info', '/usr/share/lintian'];
const LOCALE_DIRS = ['/usr/share/locale', '/usr/lib/locale'];
/** The C locale is not a translation: glibc's C.UTF-8 stays whatever `locales` says. */
const C_LOCALES = new Set(['C.utf8', 'C.UTF-8']);

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function keepsLocale(name: string, keep: string[]): boolean {
  if (C_LOCALES.has(name)) return true;
  return keep.some((k) => name === k || (name.startsWith(k) && /^[_.@]/.test(name.slice(k.length))));
}

/** Whether a rule removes this entry by itself (its descendants go with it). */
export function matchesStripRule(e: TreeEntry, rules: StripRules, globs: RegExp[]): boolean {
  const p = e.path;
  const parent = path.posix.dirname(p);
  const name = path.posix.basename(p);
  if (ALWAYS.includes(p)) return true;
  if (parent === '/var/log') return true;
  if (parent === '/var/cache/apt' && name.endsWith('.bin')) return true;
  if (rules.docs && DOCS.includes(p)) return true;
  if (LOCALE_DIRS.includes(parent) && e.type === 'dir' && !keepsLocale(name, rules.locales)) return true;
  if (rules.static_libs && e.type === 'file' && name.endsWith('.a')) return true;
  if (rules.pycache && e.type === 'dir' && name === '__pycache__') return true;
  return globs.some((g) => g.test(p));
}

export interface StripPlan {
  /** Entries to remove, deepest first. */
  remove: TreeEntry[];
  /** Marked by a rule but kept because a kept symlink reaches them. */
  protectedCount: number;
  bytes: number;
}

/**
 * Plan the strip. `linkChains` maps each symlink to what resolving it passes through and reaches
 * (in-tree paths: the intermediate links, then the final path), computed by the caller.
 */
export function planStrip(
  entries: TreeEntry[],
  rules: StripRules,
  linkChains: Map<string, string[]>,
): StripPlan {
  const globs = rules.paths.map(globToRegExp);
  const marked = new Set<string>();
  for (const e of entries) {
    if (marked.has(path.posix.dirname(e.path)) || matchesStripRule(e, rules, globs)) marked.add(e.path);
  }
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const protect = new Set<string>();
  const queue = entries.filter((e) => e.type === 'symlink' && !marked.has(e.path)).map((e) => e.path);
  const protectPath = (p: string) => {
    for (let a = p; a !== '/' && !protect.has(a); a = path.posix.dirname(a)) {
      protect.add(a);
      if (byPath.get(a)?.type === 'symlink') queue.push(a);
    }
    // A linked directory that a rule removes as a whole is kept whole; a linked directory that
    // merely contains removable entries (`lib -> usr/lib`) keeps only itself.
    if (byPath.get(p)?.type === 'dir' && marked.has(p)) {
      for (const e of entries) {
        if (e.path.startsWith(`${p}/`) && !protect.has(e.path)) {
          protect.add(e.path);
          if (e.type === 'symlink') queue.push(e.path);
        }
      }
    }
  };
  const done = new Set<string>();
  while (queue.length > 0) {
    const link = queue.shift()!;
    if (done.has(link)) continue;
    done.add(link);
    for (const p of linkChains.get(link) ?? []) protectPath(p);
  }
  const remove = entries.filter((e) => marked.has(e.path) && !protect.has(e.path)).reverse();
  return {
    remove,
    protectedCount: entries.filter((e) => marked.has(e.path) && protect.has(e.path)).length,
    bytes: remove.reduce((n, e) => n + e.size, 0),
  };
}

export async function linkChainsOf(tree: string, entries: TreeEntry[]): Promise<Map<string, string[]>> {
  const chains = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'symlink') continue;
    const r = await resolveInRoot(tree, e.path);
    chains.set(e.path, r.exists ? [...r.links.slice(1), r.path] : r.links.slice(1));
  }
  return chains;
}

/** Strip `tree` in place. Returns what was removed and the bytes saved. */
export async function stripTree(
  tree: string,
  rules: StripRules,
): Promise<{ removed: number; bytes: number; protectedCount: number; staticLibs: string[] }> {
  const entries = await walkTree(tree);
  const plan = planStrip(entries, rules, await linkChainsOf(tree, entries));
  for (const e of plan.remove) {
    const host = path.join(tree, e.path);
    if (e.type === 'dir') {
      // Kept (protected) children stay; the directory then stays too.
      await rmdir(host).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } else if (e.type === 'other') await rm(host, { force: true });
    else await unlink(host);
  }
  return {
    removed: plan.remove.length,
    bytes: plan.bytes,
    protectedCount: plan.protectedCount,
    staticLibs: rules.static_libs ? removedStaticLibs(plan.remove) : [],
  };
}

/** File names of the static libraries a plan removes (`libgcc.a`), sorted and unique. */
export function removedStaticLibs(removed: TreeEntry[]): string[] {
  const names = removed.filter((e) => e.type === 'file' && e.path.endsWith('.a'));
  return [...new Set(names.map((e) => path.posix.basename(e.path)))].sort();
}

/**
 * The static libraries a linker's output says it could not find that `strip.static_libs` removed:
 * `cannot find -lgcc` means libgcc.a (or libgcc.so; only a removed .a counts), `cannot find
 * libfoo.a` names the file. Pure; empty when the failure is something else.
 */
export function staticLibsMissedByLinker(output: string, removed: string[]): string[] {
  const gone = new Set(removed);
  const wanted = new Set<string>();
  for (const m of output.matchAll(/cannot find -l:?([A-Za-z0-9_.+-]+)/g)) {
    const lib = m[1] as string;
    wanted.add(lib.endsWith('.a') ? lib : `lib${lib}.a`);
  }
  for (const m of output.matchAll(/(?:cannot find|No such file or directory)[^\n]*?([A-Za-z0-9_.+-]+\.a)\b/g))
    wanted.add(m[1] as string);
  for (const m of output.matchAll(/([A-Za-z0-9_.+-]+\.a)\b[^\n]*?No such file or directory/g))
    wanted.add(path.posix.basename(m[1] as string));
  return [...wanted].filter((w) => gone.has(w)).sort();
}
