/**
 * The job's working directory, opened once. Jobs control what is in their directories — a job can
 * plant `sub -> /` for a later `jrt exec --workdir DIR/sub`, or swap a directory for a symlink while
 * jrt starts — so the directory is named without symlinks, opened with O_PATH|O_NOFOLLOW, checked
 * by what the open file descriptor is (/proc/self/fd), and handed to the sandbox as that descriptor.
 * Nothing looks the path up again.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
} from 'node:fs';
import path from 'node:path';
import { failure, usageError } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { refusedMode, refusedWorkdir } from './refused-dirs.js';

/** open(2)'s O_PATH (Linux): a handle on the directory itself, no read access needed. */
const O_PATH = 0o10000000;

export interface OpenedDir {
  /** Open on the directory (O_PATH): jrt's descriptor, to be handed to the sandbox. */
  fd: number;
  /** Where it is on the host (absolute, no symlinks), for messages and the job record. */
  path: string;
  /** Its owner: what the job's files there will belong to. */
  uid: number;
  gid: number;
}

/**
 * The directories of jrt itself, which no job may be given, resolved (a configured path may go
 * through a symlink: the job would name the real one).
 */
export function jrtDirs(paths: JrtPaths): string[] {
  const dirs = [paths.root, paths.cache, paths.state, paths.log, paths.jobletConfig];
  return dirs.flatMap((d) => {
    try {
      const real = realpathSync.native(d);
      return real === d ? [d] : [d, real];
    } catch {
      return [d];
    }
  });
}

/** Every account's home directory (/etc/passwd's sixth field), for the refusal of a home itself. */
function homeDirs(): string[] {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((l) => l.split(':')[5] ?? '')
      .filter((h) => h.startsWith('/') && h !== '/');
  } catch {
    return [];
  }
}

/**
 * The directory the job works in: `--workdir` (relative to `cwd`), else where jrt was started —
 * named as the shell's `$PWD` says when that is the same directory, so a `cd` through a symlink is
 * seen for what it is.
 */
export function openWorkdir(
  given: string | undefined,
  cwd: string,
  pwd: string | undefined,
  paths: JrtPaths,
): OpenedDir {
  const flag = given === undefined ? 'the current directory' : '--workdir';
  const named = given !== undefined ? path.resolve(cwd, given) : logicalCwd(cwd, pwd);
  let real: string;
  try {
    real = realpathSync.native(named);
  } catch {
    throw usageError('ERR_JRT_BAD_WORKDIR', `${flag} ${named} does not exist`);
  }
  if (real !== named) {
    const link = firstSymlink(named);
    throw usageError(
      'ERR_JRT_WORKDIR_SYMLINK',
      `${flag} ${named}: ${link ?? 'a component'} is a symbolic link (to ${real}); a job's directory must be named without symlinks, so that none a job planted can redirect it`,
      `if you trust where it leads, name that directory itself: --workdir ${real}`,
    );
  }
  const refused = refusedWorkdir(real, jrtDirs(paths), homeDirs());
  if (refused) {
    throw usageError(
      'ERR_JRT_WORKDIR_REFUSED',
      `${flag} ${real} cannot be a job's working directory: ${refused}`,
      'give the job a directory of its own, e.g. --workdir "$(mktemp -d)" or a project directory below your home',
    );
  }
  let fd: number;
  try {
    fd = openSync(real, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw usageError('ERR_JRT_BAD_WORKDIR', `${flag} ${real} is not a directory`);
    throw changed(flag, real);
  }
  // The descriptor says what was opened: if a component was swapped since realpath, it is not `real`.
  if (readlinkSync(`/proc/self/fd/${fd}`) !== real) {
    closeSync(fd);
    throw changed(flag, real);
  }
  const st = fstatSync(fd);
  const sticky = refusedMode(real, st.mode);
  if (sticky) {
    closeSync(fd);
    throw usageError('ERR_JRT_WORKDIR_REFUSED', `${flag} ${sticky}`, 'e.g. --workdir "$(mktemp -d)"');
  }
  return { fd, path: real, uid: st.uid, gid: st.gid };
}

function changed(flag: string, dir: string) {
  return failure(
    'ERR_JRT_WORKDIR_CHANGED',
    `${flag} ${dir} changed while jrt opened it (replaced by a symlink or moved); the job was not started`,
    { hint: 'something (a running job?) is changing that directory: check it and run again' },
  );
}

function logicalCwd(cwd: string, pwd: string | undefined): string {
  if (!pwd || !path.isAbsolute(pwd) || pwd === cwd) return cwd;
  try {
    return realpathSync.native(pwd) === cwd ? path.normalize(pwd) : cwd;
  } catch {
    return cwd;
  }
}

/** The first component of `p` that is a symlink, for the message. */
function firstSymlink(p: string): string | undefined {
  let dir = '/';
  for (const part of p.split('/').filter(Boolean)) {
    dir = path.join(dir, part);
    if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) return dir;
  }
  return undefined;
}
