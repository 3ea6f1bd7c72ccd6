/**
 * `jrt doctor --joblet`: the installed runtimes resolved by Joblet's rules (joblet/rules.ts) and by
 * `jrt exec`'s, spec by spec, with the clashes Joblet cannot resolve at all, and the version
 * directories a Joblet-side removal left behind. Rendering is pure.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { printable } from '../core/printable.js';
import { NEW_DIR_PREFIX, VERSIONS_DIR } from '../installer/layout.js';
import {
  type Clash,
  clashWarning,
  compareResolution,
  jobletClashes,
  type SpecVerdict,
} from '../joblet/compare.js';
import { environmentLookupAsJoblet, scanAsJoblet } from '../joblet/scan.js';
import { listInstalled } from '../runner/resolve.js';

export interface JobletReport {
  ok: boolean;
  root: string;
  specs: SpecVerdict[];
  clashes: (Clash & { message: string })[];
  /** `<language>/.jrt/<name>@<digest>/` whose `<language>/<name>` is gone (`rnx runtime remove` removes only that). */
  orphans: string[];
}

const ls = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Version directories of jrt's layout that no runtime name points at any more. */
export function orphanedVersions(root: string): string[] {
  const out: string[] = [];
  for (const language of ls(root).filter(
    (l) => !l.startsWith('.') && lstatSync(path.join(root, l)).isDirectory(),
  )) {
    const vdir = path.join(root, language, VERSIONS_DIR);
    for (const v of ls(vdir).filter((e) => !e.startsWith(NEW_DIR_PREFIX) && e.includes('@'))) {
      const name = v.slice(0, v.lastIndexOf('@'));
      if (!lstatSync(path.join(root, language, name), { throwIfNoEntry: false }))
        out.push(path.join(vdir, v));
    }
  }
  return out;
}

export async function jobletReport(root: string): Promise<JobletReport> {
  const installed = await listInstalled(root);
  const scan = scanAsJoblet(root);
  const specs = compareResolution(installed, scan, undefined, {
    lookup: (spec) => environmentLookupAsJoblet(root, spec),
    real: (dir) => {
      try {
        return realpathSync(dir);
      } catch {
        return undefined;
      }
    },
  });
  const clashes = jobletClashes(scan).map((c) => ({ ...c, message: clashWarning(c) }));
  const orphans = orphanedVersions(root);
  return { ok: specs.every((s) => s.same) && clashes.length === 0, root, specs, clashes, orphans };
}

export function renderJobletReport(r: JobletReport): string {
  const width = Math.max(4, ...r.specs.map((s) => s.spec.length));
  const lines = [`runtimes root: ${r.root} (as Joblet's runtime.base_path)`];
  for (const s of r.specs) {
    const mark = s.same ? 'ok  ' : 'DIFF';
    const who = s.same
      ? `both run ${s.jrt?.name}`
      : `jrt: ${s.jrt?.name ?? '(none)'}, Joblet: ${s.joblet?.name ?? '(none)'}`;
    lines.push(`${mark}  ${s.spec.padEnd(width)}  ${who}`);
    if (!s.same) lines.push(`${' '.repeat(width + 8)}${s.problem}`, `${' '.repeat(width + 8)}fix: ${s.fix}`);
  }
  for (const c of r.clashes) lines.push(`warn  ${c.message}`);
  for (const o of r.orphans)
    lines.push(
      `warn  ${o}: no runtime points at this version any more (removed by a tool that does not follow links, such as 'rnx runtime remove')`,
      `      fix: the next 'jrt install' removes it, or: rm -r ${o}`,
    );
  const diff = r.specs.filter((s) => !s.same).length;
  lines.push(
    r.specs.length === 0
      ? 'jrt doctor --joblet: no runtimes installed'
      : diff === 0 && r.clashes.length === 0
        ? `jrt doctor --joblet: Joblet resolves all ${r.specs.length} specs as jrt does`
        : `jrt doctor --joblet: ${diff} of ${r.specs.length} specs resolve differently under Joblet${r.clashes.length ? `, ${r.clashes.length} clash${r.clashes.length > 1 ? 'es' : ''}` : ''}`,
  );
  return lines.map(printable).join('\n');
}
