/**
 * `jrt build`: recipe → lock → fetched inputs → throwaway root → runtime tree → checked,
 * described, packed and smoke-tested artifact. Only the resolve and fetch phases use the network.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { failure, isJrtError } from '../core/errors.js';
import { hostDebianMirror, hostNpmRegistry } from '../core/host-sources.js';
import type { JrtPaths } from '../core/paths.js';
import { run } from '../core/proc.js';
import { type OnProgress, phase, silentProgress } from '../core/progress.js';
import { artifactName, type Manifest, MANIFEST_JSON, RUNTIME_JSON, RUNTIME_YML, TREE_DIR } from '../core/runtime-format.js';
import { JRT_VERSION } from '../core/version.js';
import { computeManifest } from '../artifact/manifest.js';
import { packArtifact } from '../artifact/pack.js';
import { loadRecipe } from '../recipe/load.js';
import type { Recipe } from '../recipe/types.js';
import { type BaseRoot, basePackages, ensureBase, removeStaleBuildDirs, unpackBase } from './base.js';
import { createBlobStore } from './blobs.js';
import { checkRuntime } from './check.js';
import { chrootArgv } from './chroot.js';
import { collectRuntime } from './collect.js';
import { debFileName, fetchDebian, resolveDebian, shellQuote } from './debian.js';
import { normalizeJavaKeystores } from './normalize.js';
import { assertLockMatches, type Lock, lockDigest, lockPathFor, readLock, sourceDateEpoch, writeLock } from './lock.js';
import { makeRuntimeYml, renderRuntimeJson, renderRuntimeYml } from './runtime-yml.js';
import { runSmokeTests } from './smoke.js';
import { fetchSource, resolveSource, type SourceContext, sourceMatchesInput, unpackScript } from './sources.js';

export interface BuildOptions {
  recipeFile: string;
  paths: JrtPaths;
  /** Where the artifact goes (default: the current directory). */
  outDir?: string;
  /** Use only the cache; fail on anything missing. */
  offline?: boolean;
  /** Require an up-to-date lock; never re-resolve. */
  locked?: boolean;
  /** Write a fresh lock even when one matches (jrt lock --update). */
  relock?: boolean;
  /** Resolve and write the lock, then stop (jrt lock). */
  lockOnly?: boolean;
  onProgress?: OnProgress;
}

export interface BuildResult {
  name: string;
  artifact: string;
  sha256: string;
  size: number;
  manifest: Manifest;
  lock: Lock;
  lockFile: string;
  lockChanged: boolean;
  logFile: string;
}

export async function buildRuntime(opts: BuildOptions): Promise<BuildResult> {
  const onProgress = opts.onProgress ?? silentProgress;
  const { recipe, digest: recipeDigest } = await loadRecipe(opts.recipeFile);
  const task = recipe.name;
  const cache = opts.paths.cache;
  const logFile = path.join(opts.paths.log, `build-${recipe.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = (line: string) => appendFileSync(logFile, `${line}\n`);
  log(`jrt ${JRT_VERSION} build ${opts.recipeFile} (${recipeDigest})`);
  const step = <T>(name: string, fn: () => Promise<T>) => phase(onProgress, task, name, fn);

  const [mirror, registry] = await Promise.all([hostDebianMirror(), hostNpmRegistry()]);
  const blobs = createBlobStore(cache);
  const recipeDir = path.dirname(path.resolve(opts.recipeFile));
  const lockFile = lockPathFor(opts.recipeFile);
  let lock = await readLock(lockFile);
  if (opts.locked) assertLockMatches(lock, recipe.name, recipeDigest, lockFile);

  await removeStaleBuildDirs(cache);
  const buildDir = path.join(cache, 'tmp', `build-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(buildDir, { recursive: true });
  const onSignal = (signal: NodeJS.Signals) => {
    // Mounts live in the sandbox's namespace; only the directory needs removing.
    void rm(buildDir, { recursive: true, force: true }).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let base = await step('root', () => ensureBase(cache, recipe.base, mirror, { offline: opts.offline, onLine: log }));
    let lockChanged = false;
    const drift = lock ? await baseDrift(base, lock) : [];
    if (drift.length > 0 && (opts.locked || opts.offline)) {
      throw failure('ERR_JRT_LOCK_DRIFT', `the cached ${recipe.base} base root differs from ${lockFile}: ${drift.slice(0, 5).join(', ')}${drift.length > 5 ? ` and ${drift.length - 5} more` : ''}`, {
        hint: `run 'jrt lock --update' to resolve against today's mirror (the locked inputs remain at ${lock?.snapshot})`,
      });
    }
    if (drift.length > 0) onProgress({ type: 'warn', task, message: `the base root moved on since the lock was made (${drift.length} packages); resolving again` });
    if (!lock || opts.relock || drift.length > 0 || lock.recipe_digest !== recipeDigest || !sourcesStillMatch(recipe, lock)) {
      if (opts.offline) {
        throw failure('ERR_JRT_OFFLINE_MISSING', `--offline: ${lockFile} is missing or does not match the recipe, and resolving needs the network`);
      }
      const resolved = await step('resolve', async () => {
        try {
          return await resolveLock(recipe, recipeDigest, base, { buildDir, blobs, registry, mirror, recipeDir, log });
        } catch (e) {
          if (!(isJrtError(e) && e.code === 'ERR_JRT_BASE_STALE')) throw e;
          // The mirror moved on since the base was cached: make a fresh base and resolve again.
          await rm(base.tarball, { force: true });
          base = await ensureBase(cache, recipe.base, mirror, { onLine: log });
          return resolveLock(recipe, recipeDigest, base, { buildDir, blobs, registry, mirror, recipeDir, log });
        }
      });
      lock = resolved;
      await writeLock(lockFile, lock);
      lockChanged = true;
    }
    const theLock = lock;
    if (opts.lockOnly) {
      return { name: recipe.name, artifact: '', sha256: '', size: 0, manifest: undefined as unknown as Manifest, lock: theLock, lockFile, lockChanged, logFile };
    }
    const sourceFiles = await step('fetch', async () => {
      await fetchDebian(blobs, mirror, theLock.packages, { offline: opts.offline });
      const files: string[] = [];
      for (const input of theLock.sources) files.push(await fetchSource(input, { blobs, registry, mirror, recipeDir, offline: opts.offline }));
      return files;
    });

    const epoch = sourceDateEpoch(theLock);
    const root = path.join(buildDir, 'root');
    const blobBind = { source: blobs.dir, dest: '/var/cache/jrt-blobs', readonly: true };
    const buildEnv = { SOURCE_DATE_EPOCH: String(epoch), ...recipe.build.environment };
    const inRoot = (name: string, script: string, cwd?: string) =>
      run('bwrap', chrootArgv(root, ['/bin/sh', '-ec', script], { network: false, binds: [blobBind], env: buildEnv, cwd }), {
        onLine: log,
      }).catch((e) => {
        throw failure('ERR_JRT_BUILD_STEP', `step '${name}' failed: ${isJrtError(e) ? e.message : String(e)}`, {
          hint: `full log: ${logFile}`,
        });
      });

    await step('install', async () => {
      await unpackBase(base, root);
      if (theLock.packages.length === 0) return;
      const debDir = path.join(root, 'var/cache/jrt-debs');
      await mkdir(debDir, { recursive: true });
      for (const p of theLock.packages) await symlink(`/var/cache/jrt-blobs/${p.sha256}`, path.join(debDir, debFileName(p)));
      const debs = theLock.packages.map((p) => shellQuote(`/var/cache/jrt-debs/${debFileName(p)}`)).join(' ');
      await inRoot('install packages', `apt-get install -y -q --no-install-recommends --no-download -o Dpkg::Use-Pty=0 ${debs}\nrm -rf /var/cache/jrt-debs`);
    });

    await step('build', async () => {
      for (const [i, source] of recipe.sources.entries()) {
        const blob = sourceFiles[i] as string;
        await inRoot(`unpack source ${i + 1}`, unpackScript(source, `/var/cache/jrt-blobs/${path.basename(blob)}`));
      }
      for (const s of recipe.build.steps) await inRoot(s.name, s.run, s.cwd);
    });

    const out = path.join(buildDir, 'out');
    const tree = path.join(out, TREE_DIR);
    await mkdir(tree, { recursive: true });
    await step('collect', async () => {
      const r = await collectRuntime({
        buildRoot: root,
        outTree: tree,
        packages: recipe.runtime.packages,
        exclude: recipe.runtime.exclude,
        buildOnly: recipe.build.packages,
        paths: recipe.runtime.paths,
        strip: recipe.runtime.strip,
        onProgress,
      });
      for (const w of r.warnings) onProgress({ type: 'warn', task, message: w });
      await normalizeJavaKeystores(tree, epoch * 1000);
      await rm(root, { recursive: true, force: true });
    });

    const yml = makeRuntimeYml(recipe, { jrtVersion: JRT_VERSION, builtAt: new Date(epoch * 1000), recipeDigest, lockDigest: lockDigest(theLock) });
    await step('check', async () => {
      await checkRuntime(tree);
      for (const m of yml.mounts) {
        try {
          await stat(path.join(out, m.source));
        } catch {
          throw failure('ERR_JRT_MOUNT_SOURCE_MISSING', `mounts: source ${m.source} (for ${m.target}) does not exist in the built runtime`, {
            hint: 'add the package that provides it to runtime.packages, or fix the mount',
          });
        }
      }
    });
    await writeFile(path.join(out, RUNTIME_YML), renderRuntimeYml(yml));
    await writeFile(path.join(out, RUNTIME_JSON), renderRuntimeJson(yml));

    await step('test', () => runSmokeTests(out, yml, recipe.test, log));

    const outDir = path.resolve(opts.outDir ?? process.cwd());
    const artifact = path.join(outDir, artifactName(recipe.name, recipe.version));
    const packed = await step('pack', async () => {
      const manifest = await computeManifest(out, {
        name: recipe.name,
        version: recipe.version,
        jrt_version: JRT_VERSION,
        recipe_digest: recipeDigest,
        lock_digest: lockDigest(theLock),
      });
      await writeFile(path.join(out, MANIFEST_JSON), `${JSON.stringify(manifest, null, 2)}\n`);
      await mkdir(outDir, { recursive: true });
      const r = await packArtifact(out, artifact, { sourceDateEpoch: epoch });
      return { ...r, manifest };
    });
    log(`artifact ${artifact} sha256 ${packed.sha256} size ${packed.size}`);
    return { name: recipe.name, artifact, sha256: packed.sha256, size: packed.size, manifest: packed.manifest, lock: theLock, lockFile, lockChanged, logFile };
  } catch (e) {
    log(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    if (isJrtError(e) && !e.hint) throw failure(e.code, e.message, { hint: `full log: ${logFile}`, cause: e });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(buildDir, { recursive: true, force: true });
  }
}

function sourcesStillMatch(recipe: Recipe, lock: Lock): boolean {
  return recipe.sources.length === lock.sources.length && recipe.sources.every((s, i) => sourceMatchesInput(s, lock.sources[i]));
}

async function resolveLock(
  recipe: Recipe,
  recipeDigest: string,
  base: BaseRoot,
  ctx: SourceContext & { buildDir: string; log: (l: string) => void },
): Promise<Lock> {
  const root = path.join(ctx.buildDir, 'resolve-root');
  await unpackBase(base, root);
  try {
    const wanted = [...new Set([...recipe.build.packages, ...recipe.runtime.packages])];
    const debian = await resolveDebian(root, wanted, ctx.log);
    const sources = [];
    for (const s of recipe.sources) sources.push(await resolveSource(s, ctx));
    const resolvedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const stamp = resolvedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const arch = debian.base.find((p) => p.package === 'libc6')?.architecture ?? 'amd64';
    return {
      lock_version: 1,
      recipe: recipe.name,
      recipe_digest: recipeDigest,
      suite: recipe.base,
      architecture: arch,
      resolved_at: resolvedAt.toISOString(),
      snapshot: `https://snapshot.debian.org/archive/debian/${stamp}/`,
      base: debian.base,
      packages: debian.packages,
      sources,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Packages of the locked base that the cached base root does not hold at the same version. */
async function baseDrift(base: BaseRoot, lock: Lock): Promise<string[]> {
  const have = await basePackages(base);
  return lock.base.filter((p) => have.get(p.package) !== p.version).map((p) => `${p.package} ${p.version} (base has ${have.get(p.package) ?? 'none'})`);
}
