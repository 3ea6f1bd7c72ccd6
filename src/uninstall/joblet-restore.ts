/**
 * Undoing jrt's edit of a Joblet config: each runtime key jrt set gets back the source text it had
 * (from the journal) or, if it was absent, its line goes; a `runtime:` jrt added goes once empty;
 * a file jrt created goes once nothing else is in it. A key someone changed since jrt set it is
 * theirs now and stays. Without a journal (a jrt older than the journal), a key holding exactly
 * jrt's value counts as jrt's. The edit is textual like the one that made it. Pure.
 */
import { isMap, isScalar, type Pair, parseDocument } from 'yaml';
import type { JournalFile } from '../installer/joblet-journal.js';

export interface Restored {
  text: string;
  /** The file holds nothing but what jrt wrote into it: delete it. */
  remove: boolean;
  /** Keys left in place, and why. */
  kept: string[];
}

type Range = [number, number, number];
const rangeOf = (n: unknown) => (n as { range?: Range } | null)?.range;

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function lineEnd(text: string, pos: number): number {
  const eol = text.indexOf('\n', Math.max(pos - 1, 0));
  return eol === -1 ? text.length : eol + 1;
}

function runtimePair(text: string): Pair | undefined {
  const top = parseDocument(text).contents;
  return isMap(top)
    ? (top.items.find((p) => isScalar(p.key) && p.key.value === 'runtime') as Pair | undefined)
    : undefined;
}

export function restoreRuntimeKeys(
  text: string,
  entry: JournalFile | undefined,
  jrtValues: Record<string, boolean | string>,
): Restored {
  const kept: string[] = [];
  const pair = runtimePair(text);
  const map = pair?.value;
  if (!pair || !isMap(map) || map.flow)
    return { text, remove: false, kept: pair ? ['runtime: not a block mapping, left as it is'] : [] };
  const edits: { at: number; end: number; text: string }[] = [];
  for (const item of map.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '';
    if (!(key in jrtValues)) continue;
    const value = item.value;
    if (!isScalar(value) || value.value !== jrtValues[key]) {
      kept.push(`runtime.${key}: changed since jrt set it`);
      continue;
    }
    const before = entry?.before[key] ?? null;
    const v = rangeOf(value) as Range;
    if (before !== null) edits.push({ at: v[0], end: v[1], text: before });
    else
      edits.push({ at: lineStart(text, rangeOf(item.key)?.[0] ?? v[0]), end: lineEnd(text, v[1]), text: '' });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  const after = runtimePair(out);
  const empty =
    after &&
    (after.value === null ||
      (isScalar(after.value) && after.value.value === null) ||
      (isMap(after.value) && after.value.items.length === 0));
  if (after && empty && !(entry?.runtimeKey ?? false)) {
    const start = rangeOf(after.key)?.[0] ?? 0;
    out = out.slice(0, lineStart(out, start)) + out.slice(lineEnd(out, start + 1));
    if (entry && !entry.trailingNewline && out.endsWith('\n')) out = out.slice(0, -1);
  }
  return { text: out, remove: (entry?.created ?? false) && out.trim() === '', kept };
}
