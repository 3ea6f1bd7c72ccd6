/**
 * The runtimes root as Joblet's scan sees it (rules.ts says which rules): entries in name order,
 * real directories only (a symlink is skipped, hidden names are not), runtime.yml read through
 * links, fields as literal scalar text. Synchronous reads, capped like jrt's own.
 */
import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import { readCappedSync } from '../core/read-capped.js';
import { MAX_DESCRIPTION_BYTES, RUNTIME_YML } from '../core/runtime-format.js';
import { type JobletRuntime, type JobletTopEntry, jobletEnvironmentDir } from './rules.js';
import { SPEC_OF } from './spec-plan.js';

function dirs(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A field as Go's yaml.v3 puts it in a string: the scalar's text; '' when absent or null. */
function literal(doc: ReturnType<typeof parseDocument>, key: string): string | undefined {
  const node = doc.get(key, true);
  if (node === undefined || node === null) return '';
  if (!isScalar(node)) return undefined;
  if (node.value === null) return '';
  return typeof node.source === 'string' ? node.source : String(node.value);
}

/** What Joblet reads from `<dir>/runtime.yml`; undefined when it would skip the directory. */
export function readAsJoblet(dir: string): JobletRuntime | undefined {
  let text: string;
  try {
    text = readCappedSync(path.join(dir, RUNTIME_YML), MAX_DESCRIPTION_BYTES).toString('utf8');
  } catch {
    return undefined;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const name = literal(doc, 'name');
  const language = literal(doc, 'language');
  const version = literal(doc, 'version');
  if (name === undefined || language === undefined || version === undefined) return undefined;
  const specOf = literal(doc, SPEC_OF);
  return { dir, name, language, version, ...(specOf ? { specOf } : {}) };
}

/**
 * The directory Joblet's server-side environment lookup reads for `spec` (rules.ts:
 * jobletEnvironmentDir), resolved through links; undefined when it has no runtime.yml there.
 */
export function environmentLookupAsJoblet(root: string, spec: string): string | undefined {
  try {
    const dir = path.join(root, jobletEnvironmentDir(spec));
    if (!statSync(path.join(dir, RUNTIME_YML)).isFile()) return undefined;
    return realpathSync(dir);
  } catch {
    return undefined;
  }
}

export function scanAsJoblet(root: string): JobletTopEntry[] {
  return dirs(root).map((top) => {
    const topDir = path.join(root, top);
    const nested = dirs(topDir)
      .map((sub) => readAsJoblet(path.join(topDir, sub)))
      .filter((r): r is JobletRuntime => r !== undefined);
    return { nested, flat: readAsJoblet(topDir) };
  });
}
