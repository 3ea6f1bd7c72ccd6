/**
 * `jrt build`: recipe → lock → fetched inputs → throwaway root → runtime tree → checked,
 * described, smoke-tested and packed artifact. Only resolving and fetching use the network.
 */
import { chown, copyFile, link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { computeManifest } from '../artifact/manifest.js';
import { packArtifact, packTempPath } from '../artifact/pack.js';
import { failure } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { run } from '../core/proc.js';
import type { OnProgress } from '../core/progress.js';
import {
  artifactName,
  MANIFEST_JSON,
  type Manifest,
  RUNTIME_JSON,
  RUNTIME_YML,
  type RuntimeYml,
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
      if (lock.packages.length === 0) return;
      // apt wants real .deb files: hard links into the blob cache (same filesystem), copies otherwise.
      const debDir = path.join(root, 'var/cache/jrt-debs');
      await mkdir(debDir, { recursive: true });
      // Its root removes the directory when apt is done; the links in it stay root's, read-only to it.
      await chown(debDir, BUILD_ID_BASE, BUILD_ID_BASE);
      for (const p of lock.packages)
        await linkOrCopy(s.blobs.pathOf(p.sha256), path.join(debDir, debFileName(p)));
      const debs = lock.packages.map((p) => shellQuote(`/var/cache/jrt-debs/${debFileName(p)}`)).join(' ');
      await inRoot(
        'install packages',
        `apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 ${debs}\nrm -rf /var/cache/jrt-debs`,
      );
    });

    await s.step('build', async () => {
      for (const [i, source] of s.recipe.sources.entries()) {
        await inRoot(
          `unpack source ${i + 1}`,
          unpackScript(source, `/var/cache/jrt-blobs/${path.basename(sourceFiles[i] as string)}`),
        );
      }
      for (const step of s.recipe.build.steps) await inRoot(step.name, step.run, step.cwd);
    });

    const out = path.join(s.buildDir, 'out');
    const tree = path.join(out, TREE_DIR);
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
      await normalizeJavaKeystores(tree, sourceDateEpoch(lock) * 1000);
      await rm(root, { recursive: true, force: true });
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
    await s.step('test', () => runSmokeTests(out, yml, s.recipe.test, s.log));

    const packed = await s.step('pack', () => pack(s, out, lock, opts.outDir));
    s.log(`artifact ${packed.artifact} sha256 ${packed.sha256} size ${packed.size}`);
    return { name: s.recipe.name, ...packed, lock, lockFile, lockChanged: changed, logFile: s.logFile };
  });
}

/** Every .deb and source of the lock in the blob cache, verified. Returns the sources' blob paths. */
async function fetchInputs(s: Session, lock: Lock): Promise<string[]> {
  // The build root binds the blob dir read-only, so it must exist even when nothing is fetched.
  await mkdir(s.blobs.dir, { recursive: true });
  await fetchDebian(s.blobs, s.mirror, lock.packages, { offline: s.offline });
  const files: string[] = [];
  for (const [i, input] of lock.sources.entries())
    files.push(await fetchSource(input, s.recipe.sources[i] as Source, s));
  return files;
}

/**
 * Runs a named shell script inside the build root as root of the build's user namespace (root
 * there, an unprivileged user on the host): no network, inputs read-only, a fixed clock.
 * A failure names the step and shows its last lines (stdout and stderr as they came), not bwrap's argv.
 */
function sandboxRunner(s: Session, root: string, epoch: number) {
  const binds = [{ source: s.blobs.dir, dest: '/var/cache/jrt-blobs', readonly: true }];
  const env = { SOURCE_DATE_EPOCH: String(epoch), ...s.recipe.build.environment };
  return async (name: string, script: string, cwd?: string) => {
    const tail: string[] = [];
    const onLine = (line: string) => {
      s.log(line);
      tail.push(line);
      if (tail.length > STEP_TAIL_LINES) tail.shift();
    };
    const argv = chrootArgv(root, ['/bin/sh', '-ec', script], { network: false, binds, env, cwd });
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

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

async function checkMountSources(runtimeDir: string, yml: RuntimeYml): Promise<void> {
  for (const m of yml.mounts) {
    try {
      await stat(path.join(runtimeDir, m.source));
    } catch {
      throw failure(
        'ERR_JRT_MOUNT_SOURCE_MISSING',
        `mounts: source ${m.source} (for ${m.target}) does not exist in the built runtime`,
        {
          hint: 'add the package that provides it to runtime.packages, or fix the mount',
        },
      );
    }
  }
}

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
