/**
 * `jrt runtime verify`: re-hash an installed runtime against its manifest.json, and check that its
 * runtime.json says what its runtime.yml says (a runtime installed by 0.2.0 kept the artifact's).
 */
import path from 'node:path';
import { scanTree } from '../artifact/manifest.js';
import { printable } from '../core/printable.js';
import { readCapped } from '../core/read-capped.js';
import {
  MANIFEST_JSON,
  MAX_DESCRIPTION_BYTES,
  MAX_MANIFEST_BYTES,
  type Manifest,
  type ManifestFile,
  RUNTIME_JSON,
  RUNTIME_YML,
} from '../core/runtime-format.js';
import { firstDifference } from '../core/runtime-identity.js';
import { resolveRuntimeDir } from './layout.js';

export interface VerifyReport {
  ok: boolean;
  modified: { path: string; reason: string }[];
  missing: string[];
  extra: string[];
}

/** Pure: compare what is on disk with what the manifest lists. */
export function compareTree(expected: ManifestFile[], actual: ManifestFile[]): VerifyReport {
  const have = new Map(actual.map((f) => [f.path, f]));
  const want = new Map(expected.map((f) => [f.path, f]));
  const modified: VerifyReport['modified'] = [];
  const missing: string[] = [];
  for (const w of expected) {
    const h = have.get(w.path);
    if (!h) {
      missing.push(w.path);
      continue;
    }
    let reason: string | undefined;
    if (h.type !== w.type) reason = `is a ${h.type}, manifest says ${w.type}`;
    else if (w.type === 'symlink' && h.target !== w.target)
      reason = `links to '${h.target}', manifest says '${w.target}'`;
    else if (w.type !== 'symlink' && h.mode !== w.mode)
      reason = `mode ${h.mode.toString(8)}, manifest says ${w.mode.toString(8)}`;
    else if (w.type === 'file' && h.size !== w.size) reason = `size ${h.size}, manifest says ${w.size}`;
    else if (w.type === 'file' && h.sha256 !== w.sha256) reason = 'contents differ (sha256)';
    if (reason) modified.push({ path: w.path, reason });
  }
  const extra = actual.filter((f) => !want.has(f.path)).map((f) => f.path);
  return { ok: modified.length + missing.length + extra.length === 0, modified, missing, extra };
}

export async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(
    (await readCapped(path.join(dir, MANIFEST_JSON), MAX_MANIFEST_BYTES)).toString('utf8'),
  ) as Manifest;
}

/** Why runtime.json cannot stand for runtime.yml, or undefined (it agrees, or one of them is absent). */
export async function descriptionDisagreement(dir: string): Promise<string | undefined> {
  const read = (f: string) =>
    readCapped(path.join(dir, f), MAX_DESCRIPTION_BYTES).then(
      (b) => b.toString('utf8'),
      () => undefined,
    );
  const [ymlText, jsonText] = await Promise.all([read(RUNTIME_YML), read(RUNTIME_JSON)]);
  if (ymlText === undefined || jsonText === undefined) return undefined;
  const { parse } = await import('yaml');
  let yml: unknown;
  let json: unknown;
  try {
    yml = parse(ymlText);
    json = JSON.parse(jsonText);
  } catch (e) {
    return `cannot be compared with runtime.yml: ${(e as Error).message}`;
  }
  const d = firstDifference(json, yml);
  return d && `disagrees with runtime.yml at ${printable(d.at)} (jrt exec reads runtime.yml instead)`;
}

/** Verify the runtime at `at` (a version dir, or <root>/<language>/<name>, resolved through .jrt-current). */
export async function verifyRuntime(at: string): Promise<VerifyReport> {
  const dir = await resolveRuntimeDir(at);
  const manifest = await readManifest(dir);
  const { files, problems } = await scanTree(dir, { exclude: (p) => p === MANIFEST_JSON });
  const report = compareTree(manifest.files, files);
  // Devices, fifos and sockets are never in a manifest: report them as extra.
  for (const p of problems) {
    if (!files.some((f) => f.path === p.path)) report.extra.push(p.path);
    else report.modified.push(p);
  }
  const disagreement = await descriptionDisagreement(dir);
  if (disagreement) report.modified.push({ path: RUNTIME_JSON, reason: disagreement });
  report.extra.sort();
  report.ok = report.modified.length + report.missing.length + report.extra.length === 0;
  return report;
}
