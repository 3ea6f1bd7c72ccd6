/**
 * Debian inputs: resolved by apt inside a throwaway copy of the base root (so apt verifies the
 * archive's signed indexes with the suite's own keyring, and the host's apt state is never touched),
 * then downloaded by jrt into the blob cache, each .deb checked against the sha256 of the signed index.
 */
import { failure, usageError } from '../core/errors.js';
import { run } from '../core/proc.js';
import { type Archive, archiveOf } from './archives.js';
import type { BlobStore } from './blobs.js';
import { chrootArgv } from './chroot.js';
import type { DebianInput } from './lock.js';
import { buildEnv, inBuildUserns } from './userns.js';

export interface Stanza {
  [field: string]: string;
}

/** Parse deb822 text (Packages indexes, apt-cache show, dpkg status) into stanzas. Pure. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let current: Stanza = {};
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(current).length > 0) out.push(current);
      current = {};
      last = undefined;
    } else if (/^\s/.test(line) && last) {
      current[last] += `\n${line.trim()}`;
    } else {
      const i = line.indexOf(':');
      if (i > 0) {
        last = line.slice(0, i);
        current[last] = line.slice(i + 1).trim();
      }
    }
  }
  if (Object.keys(current).length > 0) out.push(current);
  return out;
}

/** `apt-get install -s` output → the packages apt would install, with exact versions. Pure. */
export function parseSimulation(text: string): { package: string; version: string; architecture: string }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[(\S+)\]\)/.exec(line);
    if (m)
      out.push({
        package: (m[1] as string).replace(/:\S+$/, ''),
        version: m[2] as string,
        architecture: m[3] as string,
      });
  }
  return out;
}

/** The names apt could not find, from its error output. Pure. */
export function missingPackages(stderr: string): string[] {
  const out = new Set<string>();
  for (const m of stderr.matchAll(
    /E: (?:Unable to locate package|Package '?)(\S+?)'? (?:has no installation candidate)?$/gm,
  ))
    out.add(m[1] as string);
  for (const m of stderr.matchAll(/E: Unable to locate package (\S+)/g)) out.add(m[1] as string);
  return [...out];
}

export function toDebianInputs(stanzas: Stanza[]): DebianInput[] {
  return stanzas.map((s) => {
    if (!s.Package || !s.Version || !s.Filename || !s.SHA256 || !s.Size) {
      throw failure(
        'ERR_JRT_DEBIAN_INDEX',
        `the archive index entry for ${s.Package ?? '?'} lacks Filename, Size or SHA256`,
      );
    }
    return {
      package: s.Package,
      version: s.Version,
      architecture: s.Architecture ?? 'all',
      filename: s.Filename,
      size: Number(s.Size),
      sha256: s.SHA256,
    };
  });
}

const DPKG_QUERY_INSTALLED = `dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Architecture}\\n'`;

export interface ResolvedDebian {
  base: DebianInput[];
  packages: DebianInput[];
}

/**
 * Resolve `wanted` (build + runtime packages) inside `root`, an unpacked base root that will be
 * thrown away. Needs the network (apt-get update).
 */
export async function resolveDebian(
  root: string,
  wanted: string[],
  onLine?: (l: string) => void,
): Promise<ResolvedDebian> {
  // The base's apt is archive code too: root of the build's user namespace only, with the network
  // (bwrap clears the environment, so apt never saw a proxy setting: none is passed).
  const inRoot = (script: string, reject = true) => {
    const [file, ...args] = inBuildUserns([
      'bwrap',
      ...chrootArgv(root, ['/bin/sh', '-ec', script], { network: true }),
    ]);
    return run(file as string, args, { reject, onLine, extendEnv: false, env: buildEnv({ proxy: false }) });
  };
  await inRoot('apt-get update -qq');
  const names = wanted.map(shellQuote).join(' ');
  const sim = await inRoot(`apt-get install -s -y --no-install-recommends ${names}`, false);
  if (sim.exitCode !== 0) {
    const missing = missingPackages(sim.stderr);
    if (missing.length > 0) {
      throw usageError(
        'ERR_JRT_DEBIAN_PACKAGE_NOT_FOUND',
        `Debian package${missing.length > 1 ? 's' : ''} not found in the suite: ${missing.join(', ')}`,
        'check the name with `apt-cache search` on a machine of that suite',
      );
    }
    throw failure(
      'ERR_JRT_DEBIAN_RESOLVE',
      `apt could not resolve ${wanted.join(' ')}:\n${sim.stderr.trim().split('\n').slice(-10).join('\n')}`,
    );
  }
  const toInstall = parseSimulation(sim.stdout);
  const installed = (await inRoot(DPKG_QUERY_INSTALLED)).stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([p, v, a]) => ({ package: p as string, version: v as string, architecture: a as string }));
  const show = async (list: { package: string; version: string }[]) => {
    if (list.length === 0) return [];
    const r = await inRoot(
      `apt-cache show --no-all-versions ${list.map((p) => shellQuote(`${p.package}=${p.version}`)).join(' ')}`,
      false,
    );
    if (r.exitCode !== 0) {
      throw failure(
        'ERR_JRT_BASE_STALE',
        `the cached base root holds versions the mirror no longer has: ${r.stderr.trim().split('\n')[0] ?? ''}`,
      );
    }
    return toDebianInputs(parseStanzas(r.stdout));
  };
  return { base: await show(installed), packages: await show(toInstall) };
}

/**
 * Make sure every .deb is in the blob cache, verified against its locked sha256 (and no longer than
 * its size), fetched from the mirror of its archive (security's own for the security pocket).
 */
export async function fetchDebian(
  blobs: BlobStore,
  archives: readonly Archive[],
  inputs: DebianInput[],
  opts: { offline?: boolean; onFetched?: (p: DebianInput) => void } = {},
): Promise<void> {
  // Two at a time: the mirror is fast and the machine has two cores.
  const queue = [...inputs];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      const archive = archiveOf(archives, p.pocket ?? 'release');
      if (!archive)
        throw failure(
          'ERR_JRT_LOCK_DRIFT',
          `the lock takes ${p.package} from the ${p.pocket} pocket, which the recipe does not take`,
        );
      await blobs.fetch(`${archive.mirror}/${p.filename}`, p.sha256, { offline: opts.offline, size: p.size });
      opts.onFetched?.(p);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

/**
 * The file name an input gets in the build root. apt reads name and version from the .deb itself;
 * the file name must only be unique and free of `~` and `:`, which apt-get takes for patterns.
 */
export function debFileName(p: DebianInput): string {
  return `${p.package}_${p.architecture}.deb`;
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.+:=@%/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
