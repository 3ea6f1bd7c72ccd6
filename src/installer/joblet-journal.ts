/**
 * What jrt changed in Joblet's config files, so `jrt uninstall` can put them back as they were:
 * for each file jrt edited, whether jrt created it (and the directories it made for it), whether
 * the `runtime:` key was there, whether the file ended in a newline, and the source text each
 * runtime key had before jrt's first edit (null: the key was absent). Only those values are kept
 * — never the rest of the file, which holds TLS keys. The first edit's values win: they are what
 * the host had before jrt.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import { replaceFile } from '../core/durable.js';

export interface JournalFile {
  created: boolean;
  createdDirs: string[];
  runtimeKey: boolean;
  trailingNewline: boolean;
  /** Key → its value's source text before jrt (`false`, `'/srv/old'`), or null when absent. */
  before: Record<string, string | null>;
}

export interface JobletJournal {
  version: 1;
  files: Record<string, JournalFile>;
}

export const JOURNAL_FILE = 'joblet-config.json';

type Range = [number, number, number];

/** The runtime keys of `text` as they are now. Pure. */
export function valuesBefore(
  text: string,
  keys: readonly string[],
): Omit<JournalFile, 'created' | 'createdDirs'> {
  const before: Record<string, string | null> = Object.fromEntries(keys.map((k) => [k, null]));
  const top = parseDocument(text).contents;
  const pair = isMap(top) ? top.items.find((p) => isScalar(p.key) && p.key.value === 'runtime') : undefined;
  if (pair && isMap(pair.value))
    for (const item of pair.value.items) {
      const key = isScalar(item.key) ? String(item.key.value) : '';
      const range = (item.value as { range?: Range } | null)?.range;
      if (key in before) before[key] = range ? text.slice(range[0], range[1]) : '';
    }
  return { runtimeKey: pair !== undefined, trailingNewline: text === '' || text.endsWith('\n'), before };
}

/** The journal with `file`'s first edit recorded (a file already in it keeps its first values). Pure. */
export function noteEdit(journal: JobletJournal, file: string, entry: JournalFile): JobletJournal {
  const known = journal.files[file];
  const merged = known ? { ...known, before: { ...entry.before, ...known.before } } : entry;
  return { ...journal, files: { ...journal.files, [file]: merged } };
}

export async function readJournal(state: string): Promise<JobletJournal> {
  try {
    const j = JSON.parse(await readFile(path.join(state, JOURNAL_FILE), 'utf8')) as JobletJournal;
    if (j?.version === 1 && typeof j.files === 'object' && j.files !== null) return j;
  } catch {}
  return { version: 1, files: {} };
}

export async function writeJournal(state: string, journal: JobletJournal): Promise<void> {
  await mkdir(state, { recursive: true });
  const owner = { mode: 0o600, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  await replaceFile(path.join(state, JOURNAL_FILE), `${JSON.stringify(journal, null, 2)}\n`, owner);
}

/** The directories `mkdir -p dir` would create: `dir` and its missing ancestors, deepest first. */
export async function missingDirs(dir: string): Promise<string[]> {
  const { access } = await import('node:fs/promises');
  const out: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const exists = await access(d).then(
      () => true,
      () => false,
    );
    if (exists || path.dirname(d) === d) return out;
    out.push(d);
  }
}
