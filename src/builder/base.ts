/**
 * Base roots: one minimal Debian root per suite, made once with mmdebstrap and cached as a tarball
 * (JRT_CACHE/bases/<suite>.tar). Each build unpacks it into its own throwaway directory.
 */
import { chmod, chown, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';
import { processAlive } from '../core/pid.js';
import { run } from '../core/proc.js';
import { removeTree } from '../core/remove-tree.js';
import { type Archive, aptSourceLines } from './archives.js';
import { parseStanzas } from './debian.js';
import { assertReachableByBuild, BUILD_ID_BASE, buildEnv, inBuildUserns } from './userns.js';

export interface BaseRoot {
  suite: string;
  tarball: string;
}

/** The mirror as a file name: what is cached from one mirror is kept apart from another's. */
export function mirrorKey(mirror: string): string {
  return mirror.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_');
}

/**
 * `bookworm@deb.debian.org_debian.tar` for the suite alone; with pockets,
 * `bookworm+security+updates@deb.debian.org_debian+deb.debian.org_debian-security.tar`. The
 * mirrors and pockets are part of the name: a base made from other archives may hold other versions.
 */
export function baseTarball(cacheDir: string, archives: readonly Archive[]): string {
  const [release, ...pockets] = archives as [Archive, ...Archive[]];
  const mirrors = [...new Set(archives.map((a) => mirrorKey(a.mirror)))];
  const name = `${[release.dist, ...pockets.map((p) => p.pocket)].join('+')}@${mirrors.join('+')}`;
  return path.join(cacheDir, 'bases', `${name}.tar`);
}

/** Make (or find cached) the base root of the suite with the recipe's pockets: `archives[0]` is the suite. */
export async function ensureBase(
  cacheDir: string,
  archives: readonly Archive[],
  opts: { offline?: boolean; onLine?: (line: string) => void } = {},
): Promise<BaseRoot> {
  const suite = (archives[0] as Archive).dist;
  const mirror = (archives[0] as Archive).mirror;
  const tarball = baseTarball(cacheDir, archives);
  if (await exists(tarball)) return { suite, tarball };
  if (opts.offline) {
    throw failure('ERR_JRT_OFFLINE_MISSING', `--offline: no cached base root for ${suite} (${tarball})`, {
      hint: 'run the build once with network to create it',
    });
  }
  await mkdir(path.dirname(tarball), { recursive: true });
  assertReachableByBuild(path.dirname(tarball));
  // mmdebstrap's own temp directory and its output, private to this build and named as a partial of
  // it: a Ctrl-C that reaches mmdebstrap before its cleanup handler is set leaves its temp root
  // behind, and the session's interrupt cleanup (removePartials) removes this directory. It belongs
  // to the build's root (mmdebstrap writes here as that user) and to no one else.
  const scratch = `${tarball}.part-${process.pid}.tmp`;
  const tmp = path.join(scratch, 'base.tar');
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  await chown(scratch, BUILD_ID_BASE, BUILD_ID_BASE);
  try {
    // The maintainer scripts of the base's packages are archive code: mmdebstrap runs as root of the
    // build's user namespace (its --mode=root works there: it bind-mounts what it cannot mknod or
    // mount). The pid namespace lets it mount /proc and ends every process it started with it, and
    // the /proc mounted over the host's shows none of the host's (a script that left mmdebstrap's
    // chroot would otherwise read every host command line); its mounts live in the private mount
    // namespace and vanish with it, even after a kill -9.
    const [file, ...args] = inBuildUserns([
      'unshare',
      '--mount',
      '--pid',
      '--fork',
      '--mount-proc',
      '--kill-child',
      '--propagation',
      'private',
      '--',
      'mmdebstrap',
      '--variant=minbase',
      '--mode=root',
      '--format=tar',
      '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
      '--components=main',
      suite,
      tmp,
      // The suite and its pockets, as apt lines: mmdebstrap installs the highest versions of them
      // (apt's rule) and writes them into the root's sources.list, which resolving uses too.
      ...aptSourceLines(archives),
    ]);
    // Its mounts are undone by its own cleanup: only jrt may signal it, and only once.
    await run(file as string, args, {
      onLine: opts.onLine,
      ownProcessGroup: true,
      extendEnv: false,
      env: buildEnv({ proxy: true, env: { TMPDIR: scratch } }),
    });
    // Every process of the build's user ended with its pid namespace: the cached base is root's again.
    await chown(tmp, 0, 0);
    await chmod(tmp, 0o644);
    await rename(tmp, tarball);
  } catch (e) {
    throw failure(
      'ERR_JRT_BASE_ROOT',
      `could not create the ${suite} base root with mmdebstrap from ${mirror}`,
      {
        hint: 'is mmdebstrap installed (apt-get install mmdebstrap) and the mirror reachable? see the build log',
        cause: e,
      },
    );
  } finally {
    // Its mounts were in the private namespace that ended with it: nothing is mounted below.
    await rm(scratch, { recursive: true, force: true });
  }
  return { suite, tarball };
}

/**
 * Unpack a base tarball into a new directory `dir`, as root of the build's user namespace: owners
 * and modes are kept as that namespace sees them (on the host they are the build's ids). `dir`
 * itself is handed to the namespace's root, who owns `/` of the build root. Device nodes are left
 * out: none can be made there, and the sandbox mounts its own /dev over it.
 */
export async function unpackBase(base: BaseRoot, dir: string): Promise<void> {
  assertReachableByBuild(path.dirname(dir));
  await mkdir(dir, { recursive: true });
  await chown(dir, BUILD_ID_BASE, BUILD_ID_BASE);
  const [file, ...args] = inBuildUserns([
    'tar',
    '--extract',
    '--file',
    base.tarball,
    '--directory',
    dir,
    '--numeric-owner',
    '--preserve-permissions',
    '--exclude=./dev/*',
  ]);
  await run(file as string, args, { extendEnv: false, env: buildEnv({ proxy: false }) });
}

/** Installed packages of a base root (name → version), read from the tarball's dpkg status. */
export async function basePackages(base: BaseRoot): Promise<Map<string, string>> {
  const r = await run('tar', ['--extract', '--to-stdout', '--file', base.tarball, './var/lib/dpkg/status']);
  const status = parseStanzas(r.stdout).filter((s) => s.Status?.endsWith(' installed'));
  return new Map(status.map((s) => [s.Package as string, s.Version as string]));
}

/**
 * Throwaway build directories live under JRT_CACHE/tmp/build-<pid>-<n>. Directories of builds
 * whose process is gone (crash, kill -9) are removed at the start of the next build, whatever their
 * depth; one that cannot be removed is reported (`failed`), never a reason to fail this build.
 */
export async function removeStaleBuildDirs(
  cacheDir: string,
): Promise<{ removed: string[]; failed: { name: string; error: string }[] }> {
  const tmpDir = path.join(cacheDir, 'tmp');
  const removed: string[] = [];
  const failed: { name: string; error: string }[] = [];
  let entries: string[] = [];
  try {
    entries = await readdir(tmpDir);
  } catch {
    return { removed, failed };
  }
  for (const name of entries) {
    const m = /^build-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !processAlive(pid)) {
      try {
        await removeTree(path.join(tmpDir, name));
        removed.push(name);
      } catch (e) {
        failed.push({ name, error: (e as Error).message });
      }
    }
  }
  return { removed, failed };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
