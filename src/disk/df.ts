/**
 * What `jrt df` reports: jrt's bytes by kind (installed runtimes, cache, state, logs) and by
 * runtime, each sum made like `du -sB1` (st_blocks of every inode once, symlinks not followed, no
 * other filesystem entered), and the free space of every filesystem they live on.
 */
import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { nearestExisting } from '../core/disk.js';
import type { JrtPaths } from '../core/paths.js';
import { installedLayout, realPaths } from './gather.js';
import { runtimeUsage, uniqueBytes } from './usage.js';
import { type Inode, walkInodes } from './walk.js';

export interface RuntimeDf {
  name: string;
  language: string;
  bytes: number;
  unique: number;
  shared: number;
  /** Version directories it has (the current one and older ones a job or install still holds). */
  versions: number;
}

export interface FilesystemDf {
  /** Which of jrt's directories live on it. */
  holds: (keyof Pick<JrtPaths, 'root' | 'cache' | 'state' | 'log'>)[];
  /** The directory measured (the nearest existing one). */
  path: string;
  size: number;
  free: number;
  usedPercent: number;
}

export interface DfReport {
  runtimes: { path: string; bytes: number; items: RuntimeDf[] };
  cache: {
    path: string;
    bytes: number;
    artifacts: number;
    blobs: number;
    bases: number;
    temp: number;
    other: number;
  };
  state: { path: string; bytes: number; volumes: number; packageCaches: number; records: number };
  logs: { path: string; bytes: number };
  total: number;
  filesystems: FilesystemDf[];
}

const du = async (p: string) => uniqueBytes(await walkInodes(p));

async function runtimesDf(root: string): Promise<DfReport['runtimes']> {
  const { runtimes, versionDirs } = await installedLayout(root);
  const perRuntime = new Map<string, Inode[]>();
  const language = new Map<string, string>();
  const versions = new Map<string, number>();
  for (const r of runtimes) {
    perRuntime.set(r.name, await walkInodes(r.path));
    language.set(r.name, r.language);
  }
  for (const v of versionDirs) {
    perRuntime.set(v.runtime, [...(perRuntime.get(v.runtime) ?? []), ...v.inodes]);
    language.set(v.runtime, language.get(v.runtime) ?? v.language);
    versions.set(v.runtime, (versions.get(v.runtime) ?? 0) + 1);
  }
  const usage = runtimeUsage(perRuntime);
  const items = [...usage].map(([name, u]) => ({
    name,
    language: language.get(name) ?? '',
    ...u,
    versions: versions.get(name) ?? 0,
  }));
  items.sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1));
  return { path: root, bytes: await du(root), items };
}

async function cacheDf(cache: string): Promise<DfReport['cache']> {
  const bytes = await du(cache);
  const at = (p: string) => du(path.join(cache, p));
  const parts = {
    artifacts: await at('artifacts'),
    blobs: await at('blobs'),
    bases: await at('bases'),
    temp: await at('tmp'),
  };
  const known = parts.artifacts + parts.blobs + parts.bases + parts.temp;
  return { path: cache, bytes, ...parts, other: Math.max(0, bytes - known) };
}

async function stateDf(state: string): Promise<DfReport['state']> {
  const bytes = await du(state);
  const volumes = await du(path.join(state, 'volumes'));
  const packageCaches = await du(path.join(state, 'package-caches'));
  return {
    path: state,
    bytes,
    volumes,
    packageCaches,
    records: Math.max(0, bytes - volumes - packageCaches),
  };
}

/** The filesystems of jrt's directories, one entry per device. */
export async function filesystems(p: JrtPaths): Promise<FilesystemDf[]> {
  const byDev = new Map<number, FilesystemDf>();
  for (const key of ['root', 'cache', 'state', 'log'] as const) {
    const at = await nearestExisting(p[key]);
    const dev = (await stat(at)).dev;
    const known = byDev.get(dev);
    if (known) {
      known.holds.push(key);
      continue;
    }
    const s = await statfs(at);
    const used = Number(s.blocks) - Number(s.bfree);
    const avail = Number(s.bavail);
    byDev.set(dev, {
      holds: [key],
      path: at,
      size: Number(s.blocks) * Number(s.bsize),
      free: avail * Number(s.bsize),
      // As df(1): used over what non-root users could use (reserved blocks left out).
      usedPercent: used + avail > 0 ? Math.ceil((used * 100) / (used + avail)) : 0,
    });
  }
  return [...byDev.values()];
}

export async function diskUsage(given: JrtPaths): Promise<DfReport> {
  const p = await realPaths(given);
  const runtimes = await runtimesDf(p.root);
  const cache = await cacheDf(p.cache);
  const state = await stateDf(p.state);
  const logs = { path: p.log, bytes: await du(p.log) };
  // Each directory counted once even when one holds another (a cache inside the state dir).
  const total = uniqueBytes([
    ...(await walkInodes(p.root)),
    ...(await walkInodes(p.cache)),
    ...(await walkInodes(p.state)),
    ...(await walkInodes(p.log)),
  ]);
  return { runtimes, cache, state, logs, total, filesystems: await filesystems(given) };
}
