/**
 * What `jrt uninstall` reads before it plans: jrt's directories as they are, what is still running
 * (jobs, installs holding their lock, builds), the mount points, and directories it must never
 * touch whatever JRT_* says.
 */
import { readFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { JrtPaths } from '../core/paths.js';
import { holderAlive, processAlive } from '../core/pid.js';
import { CURRENT_LINK } from '../installer/layout.js';
import { isSpecLink } from '../joblet/spec-names.js';
import { runningJobs } from '../runner/jobs.js';
import type { Listing, RuntimeEntry } from './plan.js';

async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

async function isDir(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined))?.isDirectory() ?? false;
}

export async function gatherListing(paths: JrtPaths): Promise<Listing> {
  const languages: Listing['root']['languages'] = [];
  const rootEntries = await names(paths.root);
  for (const lang of rootEntries) {
    const dir = path.join(paths.root, lang);
    if (lang.startsWith('.') || !(await isDir(dir))) continue;
    const entries: RuntimeEntry[] = [];
    const other: string[] = [];
    for (const name of await names(dir)) {
      if (name.startsWith('.') || !(await isDir(path.join(dir, name)))) other.push(name);
      else {
        const link = await lstat(path.join(dir, name, CURRENT_LINK)).catch(() => undefined);
        entries.push({ name, managed: link?.isSymbolicLink() ?? false });
      }
    }
    languages.push({ name: lang, entries, other });
  }
  const specLinks: string[] = [];
  for (const e of rootEntries) {
    const target = await readlink(path.join(paths.root, e)).catch(() => undefined);
    if (target !== undefined && isSpecLink(e, target)) specLinks.push(e);
  }
  const dir = async (p: string) => ({ path: p, entries: await names(p) });
  return {
    root: { path: paths.root, entries: rootEntries, specLinks, languages },
    dirs: { cache: await dir(paths.cache), state: await dir(paths.state), log: await dir(paths.log) },
    mountPoints: new Set(mountPoints()),
    volumes: await names(path.join(paths.state, 'volumes')),
  };
}

/** Mount points of this mount namespace (mountinfo field 5, octal escapes decoded). */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) =>
      (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) =>
        String.fromCharCode(Number.parseInt(o, 8)),
      ),
    )
    .filter((m) => m.startsWith('/'));
}

/** What is running on jrt's directories now: jobs, installs holding their lock, builds. */
export async function stillRunning(paths: JrtPaths): Promise<string[]> {
  const out = (await runningJobs(paths.state)).map((j) => `job ${j.id} (pid ${j.pid}, runtime ${j.runtime})`);
  const locks = path.join(paths.state, 'locks');
  for (const f of (await names(locks)).filter((n) => n.endsWith('.lock'))) {
    const content = await readFile(path.join(locks, f), 'utf8').catch(() => '');
    if (content && holderAlive(content))
      out.push(`an install of ${f.slice(0, -5)} (pid ${Number.parseInt(content, 10)})`);
  }
  for (const b of await names(path.join(paths.cache, 'tmp'))) {
    const pid = Number(/^build-([0-9]+)-/.exec(b)?.[1]);
    if (pid && processAlive(pid)) out.push(`a build (pid ${pid})`);
  }
  return out;
}

/** System directories no JRT_* setting may make jrt empty. */
const NEVER = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib64',
  '/opt',
  '/opt/joblet',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/local',
  '/var',
  '/var/cache',
  '/var/lib',
  '/var/log',
  '/var/log/joblet',
  '/var/tmp',
];

/** The jrt directories that are (or resolve to) a system directory. */
export async function unsafeDirs(paths: JrtPaths): Promise<string[]> {
  const out: string[] = [];
  for (const p of [paths.root, paths.cache, paths.state, paths.log]) {
    const real = await realpath(p).catch(() => path.resolve(p));
    if (NEVER.includes(real)) out.push(real === p ? p : `${p} (${real})`);
  }
  return out;
}
