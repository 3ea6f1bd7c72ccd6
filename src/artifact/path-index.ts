/**
 * The paths of a manifest as a tree of nodes, so that checks over an artifact stay linear in its
 * size: a path component is one map lookup from its parent node (never a join or a slice of the
 * whole path), and each symlink is followed once and remembered — where it ends and how many links
 * that took — so a chain of links, or many links through the same one, is never walked again.
 * A 1.2 KB artifact whose manifest held one long symlink chain took over ten minutes before this.
 *
 * Semantics (unchanged from the first, quadratic version): a relative target is followed from the
 * link's directory and must stay inside the runtime directory; an absolute target is allowed only
 * for a link inside rootfs/ and re-roots there (`..` at that root stays at the root, as in a chroot).
 * At most 40 links are followed for one link, counted as the kernel counts them (nested ones too).
 */
import { type ManifestFile, TREE_DIR } from '../core/runtime-format.js';

/** Linux's MAXSYMLINKS: links followed in one path resolution. */
export const MAX_HOPS = 40;
/** Longer targets than this cannot be made on Linux (PATH_MAX, NUL included). */
export const MAX_TARGET_BYTES = 4095;

interface Ended {
  node: number;
  /** How many leading components `..` cannot remove: 1 after an absolute target (rootfs/), else 0. */
  floor: number;
  hops: number;
}
type Followed = Ended | { problem: string; truncated?: boolean };

const ROOT = 0;

export class PathIndex {
  private readonly parent: number[] = [ROOT];
  private readonly depth: number[] = [0];
  private readonly name: string[] = [''];
  private readonly children: (Map<string, number> | undefined)[] = [undefined];
  private readonly entry: (Pick<ManifestFile, 'type' | 'target'> | undefined)[] = [undefined];
  private readonly followed = new Map<number, Followed>();
  private readonly following = new Set<number>();

  /** The node of a relative path, made (with its ancestors) if missing. */
  node(p: string): number {
    let at = ROOT;
    for (const c of p.split('/')) at = this.child(at, c, true);
    return at;
  }

  /** The child `c` of node `at`, or undefined when the index has none. */
  childOf(at: number, c: string): number | undefined {
    return this.children[at]?.get(c);
  }

  add(p: string, e: Pick<ManifestFile, 'type' | 'target'>): number {
    const n = this.node(p);
    this.set(n, e);
    return n;
  }

  set(n: number, e: Pick<ManifestFile, 'type' | 'target'>): void {
    this.entry[n] = e;
  }

  entryOf(n: number): Pick<ManifestFile, 'type' | 'target'> | undefined {
    return this.entry[n];
  }

  parentOf(n: number): number {
    return this.parent[n] as number;
  }

  /** The path of a node (for messages only: O(depth)). */
  pathOf(n: number): string {
    const parts: string[] = [];
    for (let at = n; at !== ROOT; at = this.parent[at] as number) parts.push(this.name[at] as string);
    return parts.reverse().join('/');
  }

  private child(at: number, c: string, make: boolean): number {
    let kids = this.children[at];
    const known = kids?.get(c);
    if (known !== undefined || !make) return known as number;
    if (!kids) {
      kids = new Map();
      this.children[at] = kids;
    }
    const n = this.parent.length;
    this.parent.push(at);
    this.depth.push((this.depth[at] as number) + 1);
    this.name.push(c);
    this.children.push(undefined);
    this.entry.push(undefined);
    kids.set(c, n);
    return n;
  }

  /** Why the symlink at node `n` escapes the runtime directory, or undefined when it stays inside. */
  linkProblem(n: number): string | undefined {
    const r = this.follow(n, 0);
    return 'problem' in r ? r.problem : undefined;
  }

  /**
   * Follow the link at `n` to where its target ends. `nesting` is how many links are being followed
   * around this one: past MAX_HOPS the answer is "too many levels" for the outer link, which is not
   * remembered for this one (it may be fine on its own).
   */
  private follow(n: number, nesting: number): Followed {
    const known = this.followed.get(n);
    if (known) return known;
    const e = this.entry[n];
    const target = e?.target ?? '';
    const done = (r: Followed): Followed => {
      this.following.delete(n);
      if (!('truncated' in r && r.truncated)) this.followed.set(n, r);
      return r;
    };
    if (nesting > MAX_HOPS || this.following.has(n))
      return { problem: `symlink target '${target}' has too many levels of symlinks`, truncated: true };
    this.following.add(n);
    if (target === '') return done({ problem: 'empty symlink target' });
    if (target.includes('\0')) return done({ problem: 'NUL byte in symlink target' });
    if (Buffer.byteLength(target) > MAX_TARGET_BYTES)
      return done({ problem: `symlink target longer than ${MAX_TARGET_BYTES} bytes` });
    let at: number;
    let floor: number;
    if (target.startsWith('/')) {
      const tree = this.children[ROOT]?.get(TREE_DIR);
      if (!this.insideTree(n) || tree === undefined)
        return done({ problem: `absolute symlink target '${target}' outside ${TREE_DIR}/` });
      at = tree;
      floor = 1;
    } else {
      at = this.parent[n] as number;
      floor = 0;
    }
    let hops = 0;
    for (const c of target.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if ((this.depth[at] as number) > floor) at = this.parent[at] as number;
        else if (floor === 0)
          return done({ problem: `symlink target '${target}' leaves the runtime directory` });
        continue;
      }
      const next = this.child(at, c, true);
      if (this.entry[next]?.type !== 'symlink') {
        at = next;
        continue;
      }
      const r = this.follow(next, nesting + 1);
      if ('problem' in r) {
        const problem = `through ${this.pathOf(next)}: ${r.problem}`;
        return done(r.truncated ? { problem, truncated: true } : { problem });
      }
      hops += 1 + r.hops;
      if (hops > MAX_HOPS)
        return done({ problem: `symlink target '${target}' has too many levels of symlinks` });
      at = r.node;
      floor = r.floor;
    }
    return done({ node: at, floor, hops });
  }

  private insideTree(n: number): boolean {
    let at = n;
    while ((this.depth[at] as number) > 1) at = this.parent[at] as number;
    return this.name[at] === TREE_DIR && at !== ROOT;
  }
}
