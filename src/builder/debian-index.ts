/**
 * Every Debian package of a lock must come from the signed index of the recipe's suite: a lock can
 * lie, and apt does not check the .deb files jrt hands it. The suite's InRelease is verified with
 * the Debian archive keyring (gpgv), its Packages index by the hash InRelease gives, and each locked
 * package's file name, size and sha256 must be what that index says for its name, version and
 * architecture.
 *
 * Verified indexes are kept in JRT_CACHE/indexes/<suite>@<mirror>/ (InRelease-<sha256>,
 * Packages-<sha256>) and verified again each time they are used, so a lock resolved against an
 * index the mirror has since replaced still builds offline, and nothing written into the cache can
 * make jrt accept a package Debian did not sign.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { compareDebianVersions } from '../core/deb-version.js';
import { downloadLimits } from '../core/download-limits.js';
import { failure, isJrtError } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { downloadToFile } from '../core/http.js';
import { run } from '../core/proc.js';
import type { Archive, ArchivePocket } from './archives.js';
import { mirrorKey } from './base.js';
import type { DebianInput } from './lock.js';

export const DEFAULT_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const MAX_INRELEASE_BYTES = 4 * 1024 * 1024;
/** Indexes of one suite kept in the cache (newest first); older ones are removed. */
const KEEP = 4;

/** What every archive's index shares: the cache, the architecture, the keyring. */
export interface IndexSettings {
  cacheDir: string;
  architecture: string;
  offline: boolean;
  /** JRT_DEBIAN_KEYRING, or Debian's archive keyring. */
  keyring: string;
  log?: (line: string) => void;
}

/** One archive's index: its dist (`bookworm-security`, checked against the signed Suite/Codename) and mirror. */
export interface IndexContext extends IndexSettings {
  mirror: string;
  suite: string;
}

interface Release {
  date: string;
  /** path below dists/<suite>/ → {sha256, size} */
  files: Map<string, { sha256: string; size: number }>;
  byHash: boolean;
}

/** The fields of a signed Release text jrt needs. Pure. */
export function parseRelease(text: string, suite: string): Release | { problem: string } {
  const field = (name: string) => new RegExp(`^${name}: *(.*)$`, 'm').exec(text)?.[1]?.trim();
  if (field('Suite') !== suite && field('Codename') !== suite)
    return { problem: `it is the index of ${field('Codename') ?? field('Suite') ?? '?'}, not of ${suite}` };
  const files = new Map<string, { sha256: string; size: number }>();
  const section = /^SHA256:\n((?:[ \t].*\n?)*)/m.exec(text)?.[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^\s+([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(line);
    if (m) files.set(m[3] as string, { sha256: m[1] as string, size: Number(m[2]) });
  }
  return { date: field('Date') ?? '', files, byHash: field('Acquire-By-Hash') === 'yes' };
}

function indexError(message: string, hint?: string) {
  return failure('ERR_JRT_DEBIAN_INDEX', message, hint ? { hint } : {});
}

/** The signed text of an InRelease file, or an error saying why its signature does not hold. */
async function verifiedText(file: string, keyring: string): Promise<string> {
  // gpgv writes the text it verified into a private directory of its own, never into the cache.
  const dir = await mkdtemp(path.join(tmpdir(), 'jrt-gpgv-'));
  const out = path.join(dir, 'signed');
  try {
    const r = await run('gpgv', ['--keyring', keyring, '--output', out, file], { reject: false });
    if (r.exitCode !== 0)
      throw indexError(
        `the signature of ${path.basename(file)} does not verify with ${keyring}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`,
        'a mirror serving unsigned or altered indexes; JRT_DEBIAN_KEYRING names another keyring',
      );
    return await readFile(out, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A verified index: its Release fields and the path of its verified, uncompressed Packages file. */
interface Index {
  release: Release;
  packages: string;
}

function indexDir(ctx: IndexContext): string {
  return path.join(ctx.cacheDir, 'indexes', `${ctx.suite}@${mirrorKey(ctx.mirror)}`);
}

/** Verify a cached or downloaded InRelease and make sure its Packages file is there, verified. */
async function openIndex(ctx: IndexContext, inRelease: string): Promise<Index> {
  const release = parseRelease(await verifiedText(inRelease, ctx.keyring), ctx.suite);
  if ('problem' in release) throw indexError(`${inRelease}: ${release.problem}`);
  const rel = `main/binary-${ctx.architecture}/Packages`;
  const want = release.files.get(rel);
  if (!want) throw indexError(`${inRelease} lists no ${rel}`);
  const packages = path.join(indexDir(ctx), `Packages-${want.sha256}`);
  if (
    await stat(packages).then(
      (s) => s.size === want.size,
      () => false,
    )
  ) {
    if ((await sha256File(packages)) === want.sha256) return { release, packages };
    await rm(packages, { force: true });
  }
  const xz = release.files.get(`${rel}.xz`);
  if (ctx.offline || !xz)
    throw failure(
      'ERR_JRT_OFFLINE_MISSING',
      `${ctx.offline ? '--offline: ' : ''}the ${ctx.suite} index ${rel} is not in the cache ${indexDir(ctx)}`,
      { hint: 'run the build once with network to fill the cache' },
    );
  const dir = `dists/${ctx.suite}/main/binary-${ctx.architecture}`;
  const url = `${ctx.mirror}/${dir}/${release.byHash ? `by-hash/SHA256/${xz.sha256}` : 'Packages.xz'}`;
  // Named by pid: two builds may fetch the same index at once.
  const part = `${packages}.${process.pid}.part`;
  const tmp = `${part}.xz`;
  try {
    const got = await downloadToFile(url, tmp, { size: xz.size });
    if (got.sha256 !== xz.sha256)
      throw indexError(`${url}: sha256 ${got.sha256}, the signed index says ${xz.sha256}`);
    await rm(part, { force: true });
    // xz makes <name>.part beside it with O_EXCL: it never writes through a file or link already there.
    await run('xz', ['--decompress', '--keep', '--', tmp]);
    if ((await sha256File(part)) !== want.sha256)
      throw indexError(`${url} does not unpack to the ${rel} the signed index describes`);
    await rename(part, packages);
  } finally {
    await rm(tmp, { force: true });
    await rm(part, { force: true });
  }
  return { release, packages };
}

/** Today's InRelease from the mirror, kept beside the older ones under its sha256. */
async function fetchInRelease(ctx: IndexContext): Promise<string> {
  const dir = indexDir(ctx);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.InRelease-${process.pid}`);
  const got = await downloadToFile(`${ctx.mirror}/dists/${ctx.suite}/InRelease`, tmp, {
    limits: { ...downloadLimits(), maxBytes: MAX_INRELEASE_BYTES },
  });
  const file = path.join(dir, `InRelease-${got.sha256}`);
  await rename(tmp, file);
  return file;
}

/** Cached InRelease files, newest (by modification) first; beyond KEEP, with their Packages, removed. */
async function cachedInReleases(ctx: IndexContext): Promise<string[]> {
  const dir = indexDir(ctx);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) =>
    /^InRelease-[0-9a-f]{64}$/.test(n),
  );
  const dated = await Promise.all(
    names.map(async (n) => ({ file: path.join(dir, n), mtime: (await stat(path.join(dir, n))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  for (const old of dated.slice(KEEP)) await rm(old.file, { force: true });
  return dated.slice(0, KEEP).map((d) => d.file);
}

const UNREACHABLE = new Set([
  'ERR_JRT_DOWNLOAD',
  'ERR_JRT_DOWNLOAD_TIMEOUT',
  'ERR_JRT_HTTP_STATUS',
  'ERR_JRT_NOT_FOUND',
  'ERR_JRT_TRUNCATED',
]);

type Key = string;
const keyOf = (p: Pick<DebianInput, 'package' | 'version' | 'architecture'>): Key =>
  `${p.package} ${p.version} ${p.architecture}`;

/** The stanzas of `wanted` packages in a Packages file, by name, version and architecture. */
async function lookUp(file: string, wanted: Set<string>): Promise<Map<Key, Record<string, string>>> {
  const out = new Map<Key, Record<string, string>>();
  let cur: Record<string, string> = {};
  const flush = () => {
    if (cur.Package && wanted.has(cur.Package))
      out.set(
        keyOf({ package: cur.Package, version: cur.Version ?? '', architecture: cur.Architecture ?? '' }),
        cur,
      );
    cur = {};
  };
  for await (const line of createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (line === '') flush();
    else {
      const m = /^(Package|Version|Architecture|Filename|Size|SHA256): (.*)$/.exec(line);
      if (m) cur[m[1] as string] = m[2] as string;
    }
  }
  flush();
  return out;
}

/** The highest version of each wanted package in a Packages file, by `name:architecture`. */
export async function newestVersions(file: string, wanted: Set<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [key] of await lookUp(file, wanted)) {
    const [pkg, version, arch] = key.split(' ') as [string, string, string];
    const k = `${pkg}:${arch}`;
    const have = out.get(k);
    if (have === undefined || compareDebianVersions(version, have) > 0) out.set(k, version);
  }
  return out;
}

/** Why a locked package differs from its stanza in the index, or undefined when it is the same. */
function differs(p: DebianInput, s: Record<string, string>): string | undefined {
  if (s.Filename !== p.filename) return `the index names ${s.Filename}, the lock ${p.filename}`;
  if (s.SHA256 !== p.sha256) return `the index says sha256 ${s.SHA256}, the lock ${p.sha256}`;
  if (Number(s.Size) !== p.size) return `the index says ${s.Size} bytes, the lock ${p.size}`;
  return undefined;
}

/**
 * Every input must be in a signed index of the recipe's archives (today's, unless offline, or a
 * cached one): one whose `pocket` is set only in that archive's, one without (just resolved) in
 * the first archive that lists it — the suite, then security, updates, backports. Returns the
 * inputs with their pocket; throws naming the first five that are in none.
 */
export async function locateDebianInputs(
  settings: IndexSettings,
  archives: readonly Archive[],
  inputs: DebianInput[],
): Promise<DebianInput[]> {
  if (inputs.length === 0) return [];
  const located = new Map<DebianInput, ArchivePocket>();
  const problems = new Map<string, string>();
  for (const archive of archives) {
    const candidates = inputs.filter((p) => !located.has(p) && (p.pocket ?? 'release') === archive.pocket);
    const unplaced = inputs.filter((p) => !located.has(p) && p.pocket === undefined);
    const wanted = [...candidates, ...unplaced.filter((p) => !candidates.includes(p))];
    if (wanted.length === 0) continue;
    const ctx = { ...settings, suite: archive.dist, mirror: archive.mirror };
    for (const p of await findInArchive(ctx, wanted, problems)) located.set(p, archive.pocket);
  }
  const left = inputs.filter((p) => !located.has(p));
  if (left.length === 0) return inputs.map((p) => ({ ...p, pocket: located.get(p) as ArchivePocket }));
  const where = (p: DebianInput) => {
    const a = archives.find((x) => x.pocket === (p.pocket ?? 'release'));
    return p.pocket === undefined
      ? archives.map((x) => x.dist).join(', ')
      : a
        ? a.dist
        : `${p.pocket} (a pocket the recipe does not take)`;
  };
  const lines = left
    .slice(0, 5)
    .map((p) => `${keyOf(p)}: ${problems.get(keyOf(p)) ?? `not in the signed index of ${where(p)}`}`);
  const suite = (archives[0] as Archive).dist;
  throw failure(
    'ERR_JRT_DEBIAN_NOT_IN_INDEX',
    `the lock names Debian packages that are not in the signed indexes of ${suite}:\n  ${lines.join('\n  ')}${left.length > 5 ? `\n  and ${left.length - 5} more` : ''}`,
    { hint: `run 'jrt lock' to resolve the recipe against ${suite} again, and review the diff` },
  );
}

/** The inputs found in a signed index of one archive (today's unless offline, then the cached ones). */
async function findInArchive(
  ctx: IndexContext,
  inputs: DebianInput[],
  problems: Map<string, string>,
): Promise<DebianInput[]> {
  const files = await signedIndexes(ctx);
  let left = [...inputs];
  for (const file of files) {
    const index = await openIndex(ctx, file);
    const found = await lookUp(index.packages, new Set(left.map((p) => p.package)));
    left = left.filter((p) => {
      const s = found.get(keyOf(p));
      const why = s ? differs(p, s) : undefined;
      if (why) problems.set(keyOf(p), why);
      return !s || why !== undefined;
    });
    ctx.log?.(
      `signed index of ${ctx.suite} (${index.release.date}): ${inputs.length - left.length} of ${inputs.length} packages found`,
    );
    if (left.length === 0) break;
  }
  return inputs.filter((p) => !left.includes(p));
}

/** Today's InRelease of an archive (unless offline or out of reach) and the cached ones, newest first. */
export async function signedIndexes(ctx: IndexContext): Promise<string[]> {
  const files: string[] = [];
  let unreachable: unknown;
  if (!ctx.offline) {
    // A mirror that cannot be reached leaves the cached indexes (each verified again when opened).
    try {
      files.push(await fetchInRelease(ctx));
    } catch (e) {
      if (!isJrtError(e) || !UNREACHABLE.has(e.code)) throw e;
      ctx.log?.(`today's index of ${ctx.suite} is out of reach (${e.message}); using the cached ones`);
      unreachable = e;
    }
  }
  for (const f of await cachedInReleases(ctx)) if (!files.includes(f)) files.push(f);
  if (files.length === 0 && unreachable) throw unreachable;
  if (files.length === 0)
    throw failure(
      'ERR_JRT_OFFLINE_MISSING',
      `--offline: no signed index of ${ctx.suite} in the cache ${indexDir(ctx)}`,
      { hint: 'run the build once with network to fill the cache' },
    );
  return files;
}

/** A verified index of an archive: today's when `files[0]` is, with the path of its Packages file. */
export async function openSignedIndex(
  ctx: IndexContext,
  file: string,
): Promise<{ date: string; packages: string }> {
  const index = await openIndex(ctx, file);
  return { date: index.release.date, packages: index.packages };
}
