/**
 * The one place `jrt migrate` reads the host: a directory that stands for `/` (the real host, or a
 * root a test made). Every path is resolved inside that root the way the kernel would inside a
 * chroot (builder/root-path.ts), so an absolute symlink in a fixture never reaches the machine's
 * own files. The host is attacker-controlled in parts (any user owns their home and can plant
 * trees there), so reading is defensive: only regular files are read (a FIFO or device is refused
 * after opening it non-blocking), every read and every directory listing is capped, and nothing
 * found is ever executed — versions come from files, never from running a binary.
 */
import { constants } from 'node:fs';
import { open, opendir } from 'node:fs/promises';
import path from 'node:path';
import { resolveInRoot } from '../builder/root-path.js';

export type EntryKind = 'file' | 'dir' | 'other';

export interface HostView {
  /** The directory standing for `/`. */
  root: string;
  /** A regular file's text (symlinks followed inside the root); undefined when absent, not a regular file, or over `max` bytes. */
  readText(p: string, max?: number): Promise<string | undefined>;
  /** The names in a directory, sorted; at most `MAX_NAMES`; [] when it is not a directory. */
  list(p: string): Promise<string[]>;
  /** The path with every symlink resolved inside the root, or undefined when it does not exist. */
  resolve(p: string): Promise<string | undefined>;
  /** What `p` is once resolved. */
  kind(p: string): Promise<EntryKind | undefined>;
}

/** Version files and definitions are small; a dpkg status of a big host is tens of MB. */
export const SMALL_FILE = 256 * 1024;
export const MAX_NAMES = 10_000;

export function hostView(root: string): HostView {
  const abs = path.resolve(root);
  const resolve = async (p: string) => {
    const r = await resolveInRoot(abs, p, true);
    return r.exists ? r.path : undefined;
  };
  const kind = async (p: string): Promise<EntryKind | undefined> => {
    const at = await resolve(p);
    if (at === undefined) return undefined;
    const fh = await open(path.join(abs, at), constants.O_RDONLY | constants.O_NONBLOCK).catch(
      () => undefined,
    );
    if (!fh) return 'other';
    try {
      const st = await fh.stat();
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    } finally {
      await fh.close();
    }
  };
  return {
    root: abs,
    resolve,
    kind,
    async readText(p, max = SMALL_FILE) {
      const at = await resolve(p);
      if (at === undefined) return undefined;
      // O_NOFOLLOW: the last component was resolved above; a link swapped in since is not followed.
      const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;
      const fh = await open(path.join(abs, at), flags).catch(() => undefined);
      if (!fh) return undefined;
      try {
        if (!(await fh.stat()).isFile()) return undefined;
        const buf = Buffer.alloc(max + 1);
        let got = 0;
        for (;;) {
          const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
          if (bytesRead === 0) break;
          got += bytesRead;
          if (got > max) return undefined;
        }
        return buf.subarray(0, got).toString('utf8');
      } catch {
        return undefined;
      } finally {
        await fh.close();
      }
    },
    async list(p) {
      const at = await resolve(p);
      if (at === undefined) return [];
      const names: string[] = [];
      try {
        const dir = await opendir(path.join(abs, at));
        for await (const e of dir) {
          names.push(e.name);
          if (names.length >= MAX_NAMES) break;
        }
      } catch {
        return [];
      }
      return names.sort();
    },
  };
}
