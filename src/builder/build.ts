/**
 * `jrt build`: recipe → lock → fetched inputs → throwaway root → runtime tree → checked,
 * described, smoke-tested and packed artifact. Only resolving and fetching use the network.
 */
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { computeManifest } from '../artifact/manifest.js';
import { packArtifact, packTempPath } from '../artifact/pack.js';
import { failure } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { run } from '../core/proc.js';
import type { OnProgress } from '../core/progress.js';
import { removeTree } from '../core/remove-tree.js';
import {
  artifactName,
  MANIFEST_JSON,
  type Manifest,
  RUNTIME_JSON,
  RUNTIME_YML,
  TREE_DIR,
} from '../core/runtime-format.js';
import { JRT_VERSION } from '../core/version.js';
import type { Source } from '../recipe/types.js';
import { unpackBase } from './base.js';
import { checkRuntime } from './check.js';
import { chrootArgv } from './chroot.js';
import { collectRuntime } from './collect.js';
import { debFileName, fetchDebian, shellQuote } from './debian.js';
import { type Lock, lockDigest, sourceDateEpoch } from './lock.js';
import { ensureLock, type LockOutcome } from './lock-phase.js';
import { checkMountSources } from './mount-check.js';
import { dropWriteBits, normalizeJavaKeystores } from './normalize.js';
import { makeRuntimeYml, renderRuntimeJson, renderRuntimeYml } from './runtime-yml.js';
import { type Session, withSession } from './session.js';
import { runSmokeTests } from './smoke.js';
import { fetchSource, unpackScript } from './sources.js';
import { BUILD_ID_BASE, buildEnv, inBuildUserns } from './userns.js';

export interface BuildOptions {
  recipeFile: string;
  paths: JrtPaths;
  /** Where the artifact goes (default: the current directory). */
  outDir?: string;
  /** Use only the cache; fail on anything missing. */
  offline?: boolean;
  /** Require an up-to-date lock; never resolve again. */
  locked?: boolean;
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

/** `jrt lock`: resolve (or confirm) the recipe's lock and stop. */
export async function lockRecipe(opts: {
  recipeFile: string;
  paths: JrtPaths;
  update?: boolean;
  onProgress?: OnProgress;
}): Promise<LockOutcome & { name: string }> {
  return withSession(opts, async (s) => ({
    ...(await ensureLock(s, { relock: opts.update })),
    name: s.recipe.name,
  }));
}

export async function buildRuntime(opts: BuildOptions): Promise<BuildResult> {
  return withSession(opts, async (s) => {
    const { lock, lockFile, changed, base } = await ensureLock(s, { locked: opts.locked });
    const sourceFiles = await s.step('fetch', () => fetchInputs(s, lock));
    const root = path.join(s.buildDir, 'root');
    const inRoot = sandboxRunner(s, root, sourceDateEpoch(lock));

    await s.step('install', async () => {
      await unpackBase(base, root);
      // The inputs go into the fresh root as verified copies, before anything runs in it: nothing of
      // JRT_CACHE is bound, linked or reachable from a build, so no step (or maintainer script) of
      // one recipe can change what another recipe's build gets from the cache.
      await copyInputs(s, root, lock, sourceFiles);
      if (lock.packages.length === 0) return;
      const debs = lock.packages.map((p) => shellQuote(`${DEBS_IN_ROOT}/${debFileName(p)}`)).join(' ');
      await inRoot(
        'install packages',
        `apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 ${debs}\nrm -rf ${DEBS_IN_ROOT}`,
      );
    });

    await s.step('build', async () => {
      for (const [i, source] of s.recipe.sources.entries()) {
        await inRoot(
          `unpack source ${i + 1}`,
          unpackScript(source, `${SOURCES_IN_ROOT}/${path.basename(sourceFiles[i] as string)}`),
        );
      }
      if (s.recipe.sources.length > 0) await inRoot('remove the source copies', `rm -rf ${SOURCES_IN_ROOT}`);
      for (const step of s.recipe.build.steps) await inRoot(step.name, step.run, step.cwd);
    });

    const out = path.join(s.buildDir, 'out');
    const tree = path.join(out, TREE_DIR);
    let strippedStaticLibs: string[] = [];
    await s.step('collect', async () => {
      await mkdir(tree, { recursive: true });
      const { recipe } = s;
      const r = await collectRuntime({
        buildRoot: root,
        outTree: tree,
        packages: recipe.runtime.packages,
        exclude: recipe.runtime.exclude,
        buildOnly: recipe.build.packages,
        paths: recipe.runtime.paths,
        strip: recipe.runtime.strip,
        onProgress: s.onProgress,
      });
      for (const w of r.warnings) s.onProgress({ type: 'warn', task: recipe.name, message: w });
      strippedStaticLibs = r.strippedStaticLibs;
      await normalizeJavaKeystores(tree, sourceDateEpoch(lock) * 1000);
      await removeTree(root);
    });

    const yml = makeRuntimeYml(s.recipe, {
      jrtVersion: JRT_VERSION,
      builtAt: new Date(sourceDateEpoch(lock) * 1000),
      recipeDigest: s.recipeDigest,
      lockDigest: lockDigest(lock),
    });
    await s.step('check', async () => {
      await checkRuntime(tree);
      await checkMountSources(out, yml);
    });
    const ymlText = renderRuntimeYml(yml);
    await writeFile(path.join(out, RUNTIME_YML), ymlText);
    await writeFile(path.join(out, RUNTIME_JSON), renderRuntimeJson(ymlText));
    await s.step('test', () => runSmokeTests(out, yml, s.recipe.test, s.log, strippedStaticLibs));

    const packed = await s.step('pack', () => pack(s, out, lock, opts.outDir));
    s.log(`artifact ${packed.artifact} sha256 ${packed.sha256} size ${packed.size}`);
    return { name: s.recipe.name, ...packed, lock, lockFile, lockChanged: changed, logFile: s.logFile };
  });
}

/** Every .deb and source of the lock in the blob cache, verified. Returns the sources' blob paths. */
async function fetchInputs(s: Session, lock: Lock): Promise<string[]> {
  await fetchDebian(s.blobs, s.archives, lock.packages, { offline: s.offline });
  const files: string[] = [];
  for (const [i, input] of lock.sources.entries())
    files.push(await fetchSource(input, s.recipe.sources[i] as Source, s));
  return files;
}

/** Where the inputs' copies are in the build root until they are installed or unpacked. */
const DEBS_IN_ROOT = '/var/cache/jrt-debs';
const SOURCES_IN_ROOT = '/var/cache/jrt-blobs';

/** Verified copies of the lock's .debs and sources in the just unpacked base root (nothing has run in it yet). */
async function copyInputs(s: Session, root: string, lock: Lock, sourceFiles: string[]): Promise<void> {
  const debDir = path.join(root, DEBS_IN_ROOT);
  const sourceDir = path.join(root, SOURCES_IN_ROOT);
  // Both are the build root's (it removes them when done); the copies in them stay host root's, 0444.
  if (lock.packages.length > 0) {
    await mkdir(debDir, { recursive: true, mode: 0o755 });
    await chown(debDir, BUILD_ID_BASE, BUILD_ID_BASE);
  }
  for (const p of lock.packages) await s.blobs.copyOut(p.sha256, path.join(debDir, debFileName(p)));
  if (sourceFiles.length > 0) {
    await mkdir(sourceDir, { recursive: true, mode: 0o755 });
    await chown(sourceDir, BUILD_ID_BASE, BUILD_ID_BASE);
  }
  for (const sha256 of new Set(sourceFiles.map((f) => path.basename(f))))
    await s.blobs.copyOut(sha256, path.join(sourceDir, sha256));
}

/**
 * Runs a named shell script inside the build root as root of the build's user namespace (root
 * there, an unprivileged user on the host): no network, no bind of the host, a fixed clock.
 * A failure names the step and shows its last lines (stdout and stderr as they came), not bwrap's argv.
 */
function sandboxRunner(s: Session, root: string, epoch: number) {
  const env = { SOURCE_DATE_EPOCH: String(epoch), ...s.recipe.build.environment };
  return async (name: string, script: string, cwd?: string) => {
    const tail: string[] = [];
    const onLine = (line: string) => {
      s.log(line);
      tail.push(line);
      if (tail.length > STEP_TAIL_LINES) tail.shift();
    };
    const argv = chrootArgv(root, ['/bin/sh', '-ec', script], { network: false, env, cwd });
    const [file, ...args] = inBuildUserns(['bwrap', ...argv]);
    const r = await run(file as string, args, {
      reject: false,
      onLine,
      extendEnv: false,
      env: buildEnv({ proxy: false }),
    });
    if (r.exitCode === 0 && !r.signal) return;
    const status = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.exitCode}`;
    const last = tail.length > 0 ? `; its last lines:\n${tail.map((l) => `  | ${l}`).join('\n')}` : '';
    throw failure('ERR_JRT_BUILD_STEP', `step '${name}' ${status}${last}`, {
      hint: `full log: ${s.logFile}`,
    });
  };
}

const STEP_TAIL_LINES = 15;

async function pack(s: Session, out: string, lock: Lock, outDir?: string) {
  await dropWriteBits(out);
  const manifest = await computeManifest(out, {
    name: s.recipe.name,
    version: s.recipe.version,
    jrt_version: JRT_VERSION,
    recipe_digest: s.recipeDigest,
    lock_digest: lockDigest(lock),
  });
  await writeFile(path.join(out, MANIFEST_JSON), `${JSON.stringify(manifest, null, 2)}\n`);
  const dir = path.resolve(outDir ?? process.cwd());
  await mkdir(dir, { recursive: true });
  const artifact = path.join(dir, artifactName(s.recipe.name, s.recipe.version));
  // Ctrl-C while packing must not leave the half-written archive in the user's --out directory.
  const forget = s.onInterrupt(() => rm(packTempPath(artifact), { force: true }));
  const r = await packArtifact(out, artifact, { sourceDateEpoch: sourceDateEpoch(lock) }).finally(forget);
  return { artifact, sha256: r.sha256, size: r.size, manifest };
}
