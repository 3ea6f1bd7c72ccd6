/**
 * The install pipeline for one artifact: read its head → pre-check → lock → unchanged? →
 * extract into staging (readArtifact refuses anything unsafe) → commit (atomic switch) →
 * remove old versions. A recipe target is first built into an artifact by the injected builder.
 */
import { constants } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import path from 'node:path';
import { readArtifact, readArtifactHead } from '../artifact/read.js';
import { indexManifest, mountSourceProblem, unsafe } from '../artifact/safety.js';
import { failure, isJrtError } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { printable } from '../core/printable.js';
import { type OnProgress, phase } from '../core/progress.js';
import { RUNTIME_YML, type RuntimeYml } from '../core/runtime-format.js';
import type { BuildRuntime } from './builder.js';
import { type Identity, identityOf } from './identity.js';
import { refuseConflicts, writeDerivedRuntimeJson } from './identity-check.js';
import { currentVersion, isValidName } from './layout.js';
import { acquireLock, IDENTITY_LOCK } from './lock.js';
import { commitRuntime, createStaging, pausePoint, removeOldVersions } from './place.js';
import { checkFreeSpace, checkWritableRoot } from './precheck.js';
import type { InstallTarget } from './select.js';
import { syncSpecEntries } from './spec-entries.js';
import { buildIdentity, cachedArtifact, currentInstall } from './up-to-date.js';

export interface InstallOptions {
  paths: JrtPaths;
  env: NodeJS.ProcessEnv;
  force: boolean;
  offline: boolean;
  locked: boolean;
  onProgress: OnProgress;
  build: BuildRuntime;
  /** Human notes (the test pause marker among them). */
  note: (line: string) => void;
}

export interface InstallOutcome {
  name: string;
  result: 'installed' | 'unchanged' | 'failed' | 'skipped';
  ms: number;
  /** Unpacked bytes (manifest total_size). */
  size: number;
  language?: string;
  dir?: string;
  error?: string;
  code?: string;
  hint?: string;
}

/** What an artifact is, from its runtime.yml: cross-checked with the manifest, its identity judged. */
async function describe(
  head: Awaited<ReturnType<typeof readArtifactHead>>,
  file: string,
): Promise<{ yml: RuntimeYml; ymlBytes: Buffer; identity: Identity }> {
  if (!head.runtimeYml)
    throw failure('ERR_JRT_ARTIFACT_CORRUPT', `${file}: runtime.yml must follow manifest.json`);
  const { parse } = await import('yaml');
  let yml: RuntimeYml;
  try {
    yml = parse(head.runtimeYml.toString('utf8')) as RuntimeYml;
  } catch (e) {
    throw failure(
      'ERR_JRT_ARTIFACT_CORRUPT',
      `${file}: runtime.yml is not valid YAML: ${(e as Error).message}`,
    );
  }
  if (yml?.name !== head.manifest.name)
    throw failure(
      'ERR_JRT_ARTIFACT_CORRUPT',
      `${file}: runtime.yml names '${printable(String(yml?.name))}', the manifest '${head.manifest.name}'`,
    );
  if (typeof yml.language !== 'string' || !isValidName(yml.language))
    throw failure('ERR_JRT_ARTIFACT_CORRUPT', `${file}: runtime.yml has no valid language`);
  const entries = indexManifest(head.manifest.files);
  for (const m of Array.isArray(yml.mounts) ? yml.mounts : []) {
    const why = mountSourceProblem(m?.source, entries);
    if (why) throw unsafe(RUNTIME_YML, why);
  }
  // After the safety rules: an unsafe mount source is named as such whatever else is wrong.
  const id = identityOf(yml, head.manifest.name);
  if ('problems' in id)
    throw failure('ERR_JRT_ARTIFACT_IDENTITY', `${file}: runtime.yml: ${id.problems.join('; ')}`);
  return { yml, ymlBytes: head.runtimeYml, identity: id.identity };
}

export async function installArtifact(
  file: string,
  o: InstallOptions,
  task = path.basename(file),
): Promise<InstallOutcome> {
  const started = performance.now();
  const p = o.paths;
  const head = await phase(o.onProgress, task, 'read manifest', () => readArtifactHead(file));
  const { yml, ymlBytes, identity } = await describe(head, file);
  const { name } = head.manifest;
  const language = yml.language;
  const size = head.manifest.total_size;
  await phase(o.onProgress, name, 'pre-check', async () => {
    await checkWritableRoot(p.root);
    await checkFreeSpace(p.root, head.manifest.files, name);
    await refuseConflicts(p.root, identity);
  });
  const release = await phase(o.onProgress, name, 'lock', () =>
    acquireLock(p.state, name, {
      onWait: (pid) =>
        o.onProgress({ type: 'info', task: name, message: `waiting for pid ${pid} installing it` }),
    }),
  );
  let staging: Awaited<ReturnType<typeof createStaging>> | undefined;
  try {
    const current = await currentVersion(p.root, language, name);
    if (!o.force && current?.kind === 'managed' && current.digest12 === head.digest.slice(0, 12)) {
      return { name, language, result: 'unchanged', ms: performance.now() - started, size, dir: current.dir };
    }
    staging = await createStaging(p.root, name);
    const tree = staging.tree;
    const contents = await phase(o.onProgress, name, 'extract', () => readArtifact(file, tree));
    if (contents.digest !== head.digest)
      throw failure('ERR_JRT_ARTIFACT_CORRUPT', `${file} changed while installing`);
    await writeDerivedRuntimeJson(tree, yml, ymlBytes, contents.manifest);
    await pausePoint(o.env, 'staged', o.note);
    const dir = await phase(o.onProgress, name, 'switch', async () => {
      const releaseIds = await acquireLock(p.state, IDENTITY_LOCK);
      try {
        await refuseConflicts(p.root, identity); // again: another install may have claimed a name since
        const placed = await commitRuntime({
          root: p.root,
          language,
          name,
          digest: head.digest,
          stagedTree: tree,
          env: o.env,
          write: o.note,
        });
        await keepSpecEntries(p, o.note, (point) => pausePoint(o.env, point, o.note));
        return placed;
      } finally {
        await releaseIds();
      }
    });
    await phase(o.onProgress, name, 'remove old versions', () =>
      removeOldVersions(p.root, language, name, p.state),
    );
    return { name, language, result: 'installed', ms: performance.now() - started, size, dir };
  } finally {
    // After a commit the tree has moved out and only the empty staging dir is left.
    if (staging) await rm(staging.dir, { recursive: true, force: true });
    await release();
  }
}

/**
 * Joblet's spec entries (installer/spec-entries.ts) after a switch, under the identity lock. The
 * runtime is installed whatever happens here: a failure is said, and the next install or removal
 * makes them again (`jrt doctor --joblet` shows what Joblet resolves meanwhile).
 */
export async function keepSpecEntries(
  p: Pick<JrtPaths, 'root' | 'state'>,
  note: (s: string) => void,
  pause?: (point: string) => Promise<void>,
) {
  try {
    const r = await syncSpecEntries(p.root, p.state, pause ? { pause } : {});
    for (const b of r.blocked)
      note(
        printable(
          `jrt: warning: ${b} was not made by jrt, so the spec entry Joblet needs there was left out (see jrt doctor --joblet)`,
        ),
      );
  } catch (e) {
    note(printable(`jrt: warning: Joblet's spec entries could not be updated: ${(e as Error).message}`));
  }
}

/** At the start of `jrt install`: the spec entries a crash or an older jrt left out of step. */
export async function healSpecEntries(p: Pick<JrtPaths, 'root' | 'state'>, note: (s: string) => void) {
  const release = await acquireLock(p.state, IDENTITY_LOCK);
  try {
    await keepSpecEntries(p, note);
  } finally {
    await release();
  }
}

/** Filesystem errors (ENOSPC, EACCES, EROFS, EIO, ...) are failed operations, not bugs. */
function asFailure(e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (isJrtError(e) || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return e;
  return failure('ERR_JRT_INSTALL_IO', (e as Error).message, { cause: e });
}

function failed(name: string, started: number, err: unknown): InstallOutcome {
  const e = asFailure(err);
  if (!isJrtError(e)) throw e;
  return {
    name,
    result: 'failed',
    ms: performance.now() - started,
    size: 0,
    error: e.message,
    code: e.code,
    ...(e.hint ? { hint: e.hint } : {}),
  };
}

/** Install every target in order; a failure is reported and the others still run. */
export async function installTargets(targets: InstallTarget[], o: InstallOptions): Promise<InstallOutcome[]> {
  const out: InstallOutcome[] = [];
  for (const t of targets) {
    const started = performance.now();
    const label = t.kind === 'recipe' ? t.name : path.basename(t.file);
    try {
      let file = t.kind === 'artifact' ? path.resolve(t.file) : undefined;
      if (t.kind === 'recipe') {
        await checkWritableRoot(o.paths.root);
        // An unreadable recipe or lock is the build's to report; here it only means "cannot skip".
        const id = o.force ? undefined : await buildIdentity(t.file).catch(() => undefined);
        const current = id && (await currentInstall(o.paths.root, id));
        if (current) {
          const ms = performance.now() - started;
          out.push({ name: t.name, language: t.language, result: 'unchanged', ms, size: current.total_size });
          continue;
        }
        file = id ? await cachedArtifact(o.paths.cache, id) : undefined;
        file ??= (
          await phase(o.onProgress, t.name, 'build', () =>
            o.build({
              recipeFile: t.file,
              paths: o.paths,
              onProgress: o.onProgress,
              offline: o.offline,
              locked: o.locked,
            }),
          )
        ).artifact;
      } else if (file)
        await access(file, constants.R_OK).catch((e: NodeJS.ErrnoException) => {
          throw failure('ERR_JRT_ARTIFACT_NOT_FOUND', `cannot read ${t.file}: ${e.code ?? e.message}`);
        });
      const r = await installArtifact(file as string, o, label);
      out.push({ ...r, ms: performance.now() - started });
    } catch (e) {
      out.push(failed(label, started, e));
    }
  }
  return out;
}
