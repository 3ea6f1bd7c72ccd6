/**
 * Keeps the root's spec entries for Joblet (joblet/spec-plan.ts says which) in step with what is
 * installed. Called under the identity lock after every switch, before every removal (so no entry
 * ever points at a runtime that is gone), and at the start of `jrt install` (healing what a crash
 * left). Every change is one rename:
 * - a spec directory is managed exactly like a runtime (place.ts): its files are a version directory
 *   `<language>/.jrt/<spec>@<digest>/` (runtime.yml, and links `rootfs -> ../../<target>/rootfs`
 *   through the target's name, so the target's own upgrades reach it at once), switched in by
 *   renaming `.jrt-current`; a new one appears complete or not at all;
 * - a spec link is made under a temporary name and renamed over the old one.
 * A kill leaves only debris under dot names (cleanDebris removes it) and entries that the next call
 * corrects; Joblet skips a link or directory whose runtime.yml it cannot read.
 */
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderQuotedYaml } from '../builder/runtime-yml.js';
import { sha256Bytes } from '../core/hash.js';
import { RUNTIME_YML } from '../core/runtime-format.js';
import { isSpecDirName, isSpecLink } from '../joblet/spec-names.js';
import { type PlannedSpecDir, planSpecEntries, type SpecCandidate } from '../joblet/spec-plan.js';
import { listInstalled } from '../runner/resolve.js';
import { CURRENT_LINK, currentVersion, LINK_TMP_PREFIX, VERSIONS_DIR } from './layout.js';
import { commitRuntime, createStaging, removeOldVersions } from './place.js';

export interface SpecChanges {
  /** Paths made or switched. */
  made: string[];
  removed: string[];
  /** Spec links that could not be made: something that is not jrt's holds the name. */
  blocked: string[];
}

const exists = (p: string) =>
  lstat(p).then(
    (s) => s,
    () => undefined,
  );

/** What is installed, as the planner needs it; `without` (a runtime directory) counts as gone. */
async function candidates(root: string, without: string | undefined): Promise<SpecCandidate[]> {
  const out: SpecCandidate[] = [];
  for (const r of await listInstalled(root)) {
    if (r.dir === without) continue;
    const managed = (await exists(path.join(r.dir, CURRENT_LINK)))?.isSymbolicLink() === true;
    out.push({ ...r, managed, languageDir: path.basename(path.dirname(r.dir)) });
  }
  return out;
}

function specDigest(d: PlannedSpecDir, text: string): string {
  return sha256Bytes(Buffer.from(`${d.target}\n${text}\n${d.links.join('\n')}`));
}

/** Stage the spec directory's files and switch them in, unless they are what is there already. */
async function placeSpecDir(root: string, state: string, d: PlannedSpecDir, out: SpecChanges) {
  const text = `# Kept by jrt for Joblet: the spec ${d.spec} is ${d.target}; do not edit.\n${renderQuotedYaml(d.yml)}`;
  const digest = specDigest(d, text);
  const live = await currentVersion(root, d.languageDir, d.spec);
  if (live?.kind === 'managed' && live.digest12 === digest.slice(0, 12)) return;
  if (live?.kind === 'plain' || (await exists(path.join(root, d.languageDir, d.spec)))?.isSymbolicLink()) {
    // Not jrt's (no .jrt-current): never moved aside or replaced.
    out.blocked.push(path.join(root, d.languageDir, d.spec));
    return;
  }
  const staging = await createStaging(root, 'spec');
  try {
    await mkdir(staging.tree, { mode: 0o755 });
    await writeFile(path.join(staging.tree, RUNTIME_YML), text, { mode: 0o644, flag: 'wx' });
    for (const e of d.links) await symlink(path.join('..', '..', d.target, e), path.join(staging.tree, e));
    const dir = await commitRuntime({
      root,
      language: d.languageDir,
      name: d.spec,
      digest,
      stagedTree: staging.tree,
      env: {}, // no test pause points here: they belong to the runtime's own switch
      write: () => {},
    });
    out.made.push(dir);
  } finally {
    await rm(staging.dir, { recursive: true, force: true });
  }
  out.removed.push(...(await removeOldVersions(root, d.languageDir, d.spec, state)));
}

/** Remove a spec directory jrt made (it has a `.jrt-current`) and its version directories. */
async function removeSpecDir(root: string, languageDir: string, spec: string, out: SpecChanges) {
  const at = path.join(root, languageDir, spec);
  const aside = await createStaging(root, 'spec');
  try {
    await rename(at, aside.tree);
    out.removed.push(at);
    const vdir = path.join(root, languageDir, VERSIONS_DIR);
    for (const v of await readdir(vdir).catch(() => [] as string[]))
      if (v.startsWith(`${spec}@`)) await rm(path.join(vdir, v), { recursive: true, force: true });
  } finally {
    await rm(aside.dir, { recursive: true, force: true });
  }
}

/** The spec directories jrt made: `<language>/<spec>/` with a `.jrt-current`. */
async function specDirsOnDisk(root: string): Promise<{ languageDir: string; spec: string }[]> {
  const out: { languageDir: string; spec: string }[] = [];
  for (const top of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    const l = top.name;
    if (l.startsWith('.') || isSpecDirName(l) || !top.isDirectory()) continue;
    for (const e of await readdir(path.join(root, l)).catch(() => [] as string[])) {
      if (!isSpecDirName(e)) continue;
      if ((await exists(path.join(root, l, e, CURRENT_LINK)))?.isSymbolicLink())
        out.push({ languageDir: l, spec: e });
    }
  }
  return out;
}

/** Make `<root>/<spec>` a link to `target`, by rename; leave anything that is not a spec link alone. */
async function placeLink(root: string, spec: string, target: string, out: SpecChanges) {
  const at = path.join(root, spec);
  const st = await exists(at);
  if (st && !st.isSymbolicLink()) {
    out.blocked.push(at);
    return;
  }
  const now = st ? await readlink(at).catch(() => undefined) : undefined;
  if (now === target) return;
  if (now !== undefined && !isSpecLink(spec, now)) {
    out.blocked.push(at);
    return;
  }
  const tmp = path.join(root, `${LINK_TMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  await symlink(target, tmp);
  await rename(tmp, at);
  out.made.push(at);
}

/**
 * Make the root's spec entries what planSpecEntries says for what is installed (minus `without`, a
 * runtime directory about to be removed). The caller holds the identity lock.
 */
export async function syncSpecEntries(
  root: string,
  state: string,
  opts: { without?: string; pause?: (point: string) => Promise<void> } = {},
): Promise<SpecChanges> {
  const out: SpecChanges = { made: [], removed: [], blocked: [] };
  const plan = planSpecEntries(await candidates(root, opts.without));
  // Links first away, then directories: nothing is left pointing at a runtime that is about to go.
  const wantedLinks = new Map(plan.links.map((l) => [l.spec, l.target]));
  for (const e of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!e.isSymbolicLink() || e.name.startsWith('.') || wantedLinks.has(e.name)) continue;
    const target = await readlink(path.join(root, e.name)).catch(() => '');
    if (!isSpecLink(e.name, target)) continue;
    await rm(path.join(root, e.name), { force: true });
    out.removed.push(path.join(root, e.name));
  }
  const wantedDirs = new Set(plan.dirs.map((d) => `${d.languageDir}/${d.spec}`));
  for (const d of await specDirsOnDisk(root))
    if (!wantedDirs.has(`${d.languageDir}/${d.spec}`)) await removeSpecDir(root, d.languageDir, d.spec, out);
  for (const d of plan.dirs) await placeSpecDir(root, state, d, out);
  await opts.pause?.('spec-dirs'); // test-only (JRT_TEST_PAUSE_AT): between directories and links
  for (const l of plan.links) await placeLink(root, l.spec, l.target, out);
  return out;
}
