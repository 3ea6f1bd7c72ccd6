/**
 * The install's identity checks, at the edges of the pure ones (identity.ts, core/runtime-identity.ts):
 * runtime.json is derived from runtime.yml, never taken from the artifact; and a runtime whose
 * name, aliases or (language, version, tags) collide with another installed runtime is refused.
 */
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareBytes, serializeManifest } from '../artifact/manifest.js';
import { failure } from '../core/errors.js';
import { sha256Bytes } from '../core/hash.js';
import { printable } from '../core/printable.js';
import { readCapped } from '../core/read-capped.js';
import { MANIFEST_JSON, MAX_DESCRIPTION_BYTES, type Manifest, RUNTIME_JSON } from '../core/runtime-format.js';
import { deriveRuntimeJson, firstDifference } from '../core/runtime-identity.js';
import { listInstalled } from '../runner/resolve.js';
import { findConflicts, type Identity } from './identity.js';
import { runtimePath } from './layout.js';

const shown = (v: unknown) => printable(v === undefined ? '(nothing)' : (JSON.stringify(v) ?? String(v)));

/**
 * Refuse an extracted artifact whose own runtime.json says anything its runtime.yml does not, then
 * write runtime.json derived from the parsed runtime.yml (stamped with the yml's sha256) and list it
 * in the tree's manifest.json, so `jrt runtime verify` catches any later edit of it.
 */
export async function writeDerivedRuntimeJson(
  tree: string,
  yml: object,
  ymlBytes: Buffer,
  manifest: Manifest,
): Promise<void> {
  const file = path.join(tree, RUNTIME_JSON);
  const listed = manifest.files.find((f) => f.path === RUNTIME_JSON);
  if (listed) {
    if (listed.type !== 'file')
      throw failure(
        'ERR_JRT_ARTIFACT_IDENTITY',
        `the artifact's runtime.json is a ${listed.type}, not a file`,
      );
    let json: unknown;
    try {
      json = JSON.parse((await readCapped(file, MAX_DESCRIPTION_BYTES)).toString('utf8'));
    } catch (e) {
      throw failure(
        'ERR_JRT_ARTIFACT_IDENTITY',
        `the artifact's runtime.json is not valid JSON: ${(e as Error).message}`,
      );
    }
    const d = firstDifference(json, yml);
    if (d)
      throw failure(
        'ERR_JRT_ARTIFACT_IDENTITY',
        `the artifact's runtime.json disagrees with its runtime.yml at ${printable(d.at)}: runtime.json says ${shown(d.json)}, runtime.yml ${shown(d.yml)}`,
        { hint: 'runtime.yml is what Joblet reads; rebuild the artifact with jrt build' },
      );
    await rm(file);
  }
  const bytes = deriveRuntimeJson(yml, sha256Bytes(ymlBytes));
  await writeFile(file, bytes, { mode: 0o644, flag: 'wx' });
  await chmod(file, 0o644); // exactly what the manifest says, whatever the umask
  const entry = {
    path: RUNTIME_JSON,
    type: 'file' as const,
    mode: 0o644,
    size: bytes.length,
    sha256: sha256Bytes(bytes),
  };
  const files = [...manifest.files.filter((f) => f.path !== RUNTIME_JSON), entry];
  files.sort((a, b) => compareBytes(a.path, b.path));
  const total_size = manifest.total_size - (listed?.size ?? 0) + bytes.length;
  await writeFile(path.join(tree, MANIFEST_JSON), serializeManifest({ ...manifest, files, total_size }));
}

/** Refuse `c` when it collides with a runtime installed under `root` (other than its own place). */
export async function refuseConflicts(root: string, c: Identity): Promise<void> {
  const conflicts = findConflicts(c, runtimePath(root, c.language, c.name), await listInstalled(root));
  if (conflicts.length === 0) return;
  throw failure(
    'ERR_JRT_RUNTIME_CONFLICT',
    `${c.name} (${c.language} ${c.version}) collides with what is installed: ${conflicts.join('; ')}`,
    {
      hint: 'a name, alias or language+version+tags must name one runtime; remove the other first (jrt runtime remove NAME)',
    },
  );
}
