/**
 * Joblet integration: make sure `runtime: {enabled: true, base_path: <root>}` is in Joblet's config.
 * The edit is textual and minimal — only the values of those keys change, or the missing lines are
 * added — so every other byte, comment and the TLS material stay exactly as they were. The YAML
 * parser is used only to find where the keys are.
 */
import { constants } from 'node:fs';
import { access, type FileHandle, mkdir, open, readlink } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, type Pair, parseDocument, type YAMLMap } from 'yaml';
import { replaceFile } from '../core/durable.js';
import { failure } from '../core/errors.js';
import { printable } from '../core/printable.js';
import { missingDirs, noteEdit, readJournal, valuesBefore, writeJournal } from './joblet-journal.js';

export type RuntimeKeys = { enabled?: boolean; base_path: string };

interface Edit {
  at: number;
  end: number;
  text: string;
}

function scalarText(v: boolean | string): string {
  return typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function block(keys: Partial<RuntimeKeys>, indent: string): string {
  return Object.entries(keys)
    .map(([k, v]) => `${indent}${k}: ${scalarText(v as boolean | string)}\n`)
    .join('');
}

/** Pure: the config text with the runtime keys set. Returns the input unchanged when they already are. */
export function setRuntimeKeys(text: string, keys: RuntimeKeys, file = 'joblet config'): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw failure('ERR_JRT_JOBLET_CONFIG', `${file} is not valid YAML: ${doc.errors[0]?.message ?? ''}`, {
      hint: 'fix the file by hand; jrt does not rewrite a file it cannot parse',
    });
  const top = doc.contents;
  const appendTop = () =>
    `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}runtime:\n${block(keys, '  ')}`;
  if (top === null || (isScalar(top) && top.value === null)) return appendTop();
  if (!isMap(top)) throw failure('ERR_JRT_JOBLET_CONFIG', `${file}: the top level is not a mapping`);
  const pair = top.items.find((p) => isScalar(p.key) && p.key.value === 'runtime') as Pair | undefined;
  if (!pair) return appendTop();
  const value = pair.value;
  if (!isMap(value) || (value as YAMLMap).flow) {
    // `runtime:` empty, a scalar or a flow map: replace just that value with a block map, keeping
    // the other keys of a flow map.
    const keyNode = pair.key as { range: [number, number, number] };
    const valueNode = value as { range?: [number, number, number] } | null;
    const indent = ' '.repeat(keyNode.range[0] - lineStart(text, keyNode.range[0]));
    const from = text.indexOf(':', keyNode.range[1]) + 1;
    const to = valueNode?.range && valueNode.range[1] > from ? valueNode.range[1] : from;
    const kept = isMap(value)
      ? (value as YAMLMap).items
          .filter((p) => !(isScalar(p.key) && String(p.key.value) in keys))
          .map((p) => `${indent}  ${String(p.key)}: ${String(p.value)}\n`)
          .join('')
      : '';
    const body = `${kept}${block(keys, `${indent}  `)}`.replace(/\n$/, '');
    return `${text.slice(0, from)}\n${body}${text.slice(to)}`;
  }
  const map = value as YAMLMap;
  const edits: Edit[] = [];
  const missing: Partial<RuntimeKeys> = {};
  const firstKey = map.items[0]?.key as { range?: [number, number, number] } | undefined;
  const firstStart = firstKey?.range?.[0] ?? 0;
  const indent = ' '.repeat(firstStart - lineStart(text, firstStart));
  for (const [k, v] of Object.entries(keys) as [keyof RuntimeKeys, boolean | string][]) {
    const item = map.items.find((p) => isScalar(p.key) && p.key.value === k);
    if (!item) {
      (missing as Record<string, unknown>)[k] = v;
      continue;
    }
    const node = item.value as { value?: unknown; range?: [number, number, number] } | null;
    if (isScalar(node) && node.value === v) continue;
    if (isScalar(node) && node.range && node.range[1] > node.range[0]) {
      edits.push({ at: node.range[0], end: node.range[1], text: scalarText(v) });
    } else {
      // `key:` with no value: put the value right after the colon.
      const keyEnd = (item.key as { range: [number, number, number] }).range[1];
      const colon = text.indexOf(':', keyEnd) + 1;
      edits.push({ at: colon, end: colon, text: ` ${scalarText(v)}` });
    }
  }
  if (Object.keys(missing).length > 0) {
    const last = map.items[map.items.length - 1];
    const lastEnd = (last?.value as { range?: [number, number, number] } | null)?.range?.[1] ?? firstStart;
    const eol = text.indexOf('\n', lastEnd);
    const at = eol === -1 ? text.length : eol + 1;
    edits.push({ at, end: at, text: `${eol === -1 ? '\n' : ''}${block(missing as RuntimeKeys, indent)}` });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

/** Check a text has the keys set (guards the textual edit). */
function hasKeys(text: string, keys: RuntimeKeys): boolean {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return false;
  return Object.entries(keys).every(([k, v]) => doc.getIn(['runtime', k]) === v);
}

export interface ConfigUpdate {
  file: string;
  changed: boolean;
  created: boolean;
}

/** Larger is no Joblet config (a few KB with its TLS material); refused before it is read. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

interface Owner {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Read a config jrt is about to edit, without following a symlink at its name: a config that is a
 * link is refused, not written through (a local user who can write the config directory could
 * point it at any file root may write) and not replaced by a regular file (whoever made the link
 * wants it kept). Undefined when the file does not exist.
 */
async function readConfig(file: string): Promise<{ text: string; owner: Owner } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code !== 'ELOOP') throw configError(file, `cannot be read: ${(e as Error).message}`);
    const target = await readlink(file).catch(() => '?');
    throw configError(
      file,
      `is a symlink (to ${printable(target)}); jrt does not write through links`,
      'set JRT_JOBLET_CONFIG to the file itself, or replace the link with the file',
    );
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw configError(file, 'is not a regular file');
    if (st.size > MAX_CONFIG_BYTES) throw configError(file, `is larger than ${MAX_CONFIG_BYTES} bytes`);
    const text = (await fh.readFile()).toString('utf8');
    return { text, owner: { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } };
  } finally {
    await fh.close();
  }
}

function configError(file: string, what: string, hint?: string) {
  return failure('ERR_JRT_JOBLET_CONFIG', `Joblet config ${printable(file)} ${what}`, {
    hint: hint ?? 'fix it by hand; the runtimes themselves are installed',
  });
}

async function updateOne(
  file: string,
  keys: RuntimeKeys,
  createIfMissing: boolean,
  journalDir: string | undefined,
): Promise<ConfigUpdate | undefined> {
  const existing = await readConfig(file);
  if (!existing && !createIfMissing) return undefined;
  const text = existing?.text ?? '';
  const owner = existing?.owner ?? {
    mode: 0o600,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  };
  const next = setRuntimeKeys(text, keys, file);
  if (!hasKeys(next, keys))
    throw failure('ERR_JRT_JOBLET_CONFIG', `could not set runtime keys in ${file} safely`, {
      hint: `add "runtime: {enabled: true, base_path: ${keys.base_path}}" by hand`,
    });
  if (next === text && existing) return { file, changed: false, created: false };
  try {
    const createdDirs = existing ? [] : await missingDirs(path.dirname(file));
    if (journalDir !== undefined) {
      // Recorded before the edit: an install killed in between leaves a journal that still holds.
      const entry = { created: !existing, createdDirs, ...valuesBefore(text, Object.keys(keys)) };
      await writeJournal(journalDir, noteEdit(await readJournal(journalDir), path.resolve(file), entry));
    }
    if (!existing) await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await replaceFile(file, next, owner);
  } catch (e) {
    throw configError(file, `could not be written: ${(e as Error).message}`);
  }
  return { file, changed: true, created: !existing };
}

/** The second config newer Joblet versions read `runtime.base_path` from. */
export function runtimeConfigBeside(configFile: string): string {
  return path.join(path.dirname(configFile), 'runtime-config.yml');
}

/**
 * Point Joblet at `root`: joblet-config.yml (created 0600 if missing) gets runtime.enabled and
 * runtime.base_path; runtime-config.yml beside it, if present, gets runtime.base_path. With
 * `journalDir` (JRT_STATE), what each key was before is recorded for `jrt uninstall`.
 */
export async function updateJobletConfig(
  configFile: string,
  root: string,
  journalDir?: string,
): Promise<ConfigUpdate[]> {
  const out: ConfigUpdate[] = [];
  const main = await updateOne(configFile, { enabled: true, base_path: root }, true, journalDir);
  if (main) out.push(main);
  const side = await updateOne(runtimeConfigBeside(configFile), { base_path: root }, false, journalDir);
  if (side) out.push(side);
  return out;
}

export const JOBLET_UNITS = ['/etc/systemd/system/joblet.service', '/lib/systemd/system/joblet.service'];

export async function jobletServicePresent(units: string[] = JOBLET_UNITS): Promise<boolean> {
  for (const u of units) {
    try {
      await access(u);
      return true;
    } catch {}
  }
  return false;
}
