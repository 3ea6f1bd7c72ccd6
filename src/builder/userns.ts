/**
 * The build's user namespace. Everything a recipe or the archive supplies and jrt runs at build
 * time — mmdebstrap and the maintainer scripts it runs, the base's apt resolving a lock, apt
 * installing into the build root, the recipe's steps — runs as root of a user namespace whose ids 0..65535 are the unprivileged host
 * range BUILD_ID_BASE.. (dist/jrt-userns writes the maps): every capability inside, none in the
 * host's namespace. A build step can chown, run dpkg and drop to `_apt`, but it cannot mknod a
 * device, mount a host filesystem, load a module or write a global sysctl, and what it creates is
 * owned by BUILD_ID_BASE.. on the host. jrt itself (host root) reads the build root to collect the
 * runtime; the runtime's files are created by jrt, so they belong to root whatever the build did.
 */
import { fileURLToPath } from 'node:url';
import { failure } from '../core/errors.js';
import { describeBlocker, searchBlocker } from '../core/reach.js';

/**
 * 65536 ids right after the jobs' (JOB_UID_BASE 0x70000000 + 65536): above systemd's container
 * ranges, below its foreign range (0x7FFE0000), far from any account, and never host root.
 */
export const BUILD_ID_BASE = 0x70010000;
export const BUILD_ID_COUNT = 65536;

/** The helper next to the bundle (dist/jrt-userns), built by ci/bundle.mjs from native/jrt-userns.c. */
export function usernsHelperPath(): string {
  return fileURLToPath(new URL('./jrt-userns', import.meta.url));
}

/** The argv that runs `command` as root of the build's user namespace. Pure. */
export function inBuildUserns(command: string[], helper = usernsHelperPath()): string[] {
  const base = String(BUILD_ID_BASE);
  return [helper, base, base, String(BUILD_ID_COUNT), '--', ...command];
}

/** What the tools (bwrap, tar, unshare, mmdebstrap) are looked up in. */
const TOOL_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const PROXY_VARS = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/**
 * The environment the helper starts with: nothing of jrt's caller. It is readable in the namespace
 * (bwrap is pid 1 of the build sandbox, keeping the environment it was started with, and it runs as
 * the namespace's root), so a token in the caller's environment would reach the recipe. Only
 * mmdebstrap, which downloads, gets the caller's proxy settings.
 */
export function buildEnv(opts: { proxy: boolean; env?: Record<string, string> }, from = process.env) {
  const env: Record<string, string> = { PATH: TOOL_PATH, ...opts.env };
  if (opts.proxy) for (const k of PROXY_VARS) if (from[k] !== undefined) env[k] = from[k] as string;
  return env;
}

/**
 * The build's root is an unprivileged user on the host: every directory above `dir` must let it
 * pass, or bwrap, tar and mmdebstrap fail with a bare "Permission denied".
 */
export function assertReachableByBuild(dir: string): void {
  const blocker = searchBlocker(dir, BUILD_ID_BASE, BUILD_ID_BASE);
  if (!blocker) return;
  throw failure(
    'ERR_JRT_BUILD_UNREACHABLE',
    `builds run as root of a user namespace, uid ${BUILD_ID_BASE} on the host, who cannot reach ${dir}: ${describeBlocker(blocker)} does not let it pass`,
    {
      hint: 'keep JRT_CACHE below directories others may enter (chmod o+x), like the default /var/cache/jrt',
    },
  );
}
