/** Pure sums over inodes (walk.ts): each inode once, and which of a runtime's bytes it shares. */
import type { Inode } from './walk.js';

/** Bytes of the distinct inodes of `list` (what `du -sB1` of those trees says together). */
export function uniqueBytes(list: readonly Inode[]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const i of list) {
    if (seen.has(i.key)) continue;
    seen.add(i.key);
    n += i.bytes;
  }
  return n;
}

export interface RuntimeUsage {
  /** Every distinct inode of the runtime (all its versions and its name directory). */
  bytes: number;
  /** Inodes no other runtime has (removing the runtime frees these). */
  unique: number;
  /** Inodes hard-linked into another runtime too. */
  shared: number;
}

/** Per runtime: its bytes, and how many of them are hard links shared with other runtimes. */
export function runtimeUsage(perRuntime: ReadonlyMap<string, readonly Inode[]>): Map<string, RuntimeUsage> {
  const holders = new Map<string, Set<string>>();
  for (const [name, list] of perRuntime)
    for (const i of list) {
      const h = holders.get(i.key) ?? new Set<string>();
      h.add(name);
      holders.set(i.key, h);
    }
  const out = new Map<string, RuntimeUsage>();
  for (const [name, list] of perRuntime) {
    const bytes = uniqueBytes(list);
    const unique = uniqueBytes(list.filter((i) => (holders.get(i.key)?.size ?? 0) === 1));
    out.set(name, { bytes, unique, shared: bytes - unique });
  }
  return out;
}
