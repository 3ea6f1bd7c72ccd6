/**
 * A unified diff (`diff -u` format, 3 lines of context) of text that only gained insertions, as
 * `jrt migrate jobs --dry-run` shows its edits. Knowing the insertions makes it exact without a
 * general diff algorithm: an insertion at a line start adds lines, one inside a line changes it. Pure.
 */
export interface TextInsertion {
  at: number;
  text: string;
}

interface LineChange {
  /** Whole lines inserted before this line. */
  before: string[];
  /** The line's new content, when an insertion fell inside it. */
  becomes?: string;
}

const CONTEXT = 3;

/** The text with every insertion made (each `at` is an offset into the original text). */
export function applyInsertions(text: string, inserts: readonly TextInsertion[]): string {
  let out = text;
  for (const ins of [...inserts].sort((a, b) => b.at - a.at))
    out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}

export function insertionDiff(file: string, text: string, inserts: readonly TextInsertion[]): string {
  if (inserts.length === 0) return '';
  const lines = text.split('\n');
  const starts: number[] = [];
  for (let i = 0, pos = 0; i < lines.length; pos += (lines[i] as string).length + 1, i++) starts.push(pos);
  const changes = new Map<number, LineChange>();
  for (const ins of [...inserts].sort((a, b) => b.at - a.at)) {
    const idx = starts.findLastIndex((s) => s <= ins.at);
    const c = changes.get(idx) ?? { before: [] };
    if (starts[idx] === ins.at && ins.text.endsWith('\n'))
      c.before.unshift(...ins.text.replace(/\n$/, '').split('\n'));
    else {
      const line = c.becomes ?? (lines[idx] as string);
      const col = ins.at - (starts[idx] as number);
      c.becomes = line.slice(0, col) + ins.text + line.slice(col);
    }
    changes.set(idx, c);
  }
  const changed = [...changes.keys()].sort((a, b) => a - b);
  // Group changed lines whose contexts touch into hunks.
  const hunks: number[][] = [];
  for (const l of changed) {
    const last = hunks.at(-1);
    if (last && l - (last.at(-1) as number) <= 2 * CONTEXT) last.push(l);
    else hunks.push([l]);
  }
  const out = [`--- ${file}`, `+++ ${file}`];
  let shift = 0;
  const lastLine = lines.at(-1) === '' ? lines.length - 1 : lines.length;
  for (const h of hunks) {
    const from = Math.max(0, (h[0] as number) - CONTEXT);
    const to = Math.min(lastLine, (h.at(-1) as number) + CONTEXT + 1);
    const body: string[] = [];
    let added = 0;
    for (let l = from; l < to; l++) {
      const c = changes.get(l);
      for (const b of c?.before ?? []) body.push(`+${b}`);
      added += c?.before.length ?? 0;
      if (c?.becomes !== undefined) body.push(`-${lines[l]}`, `+${c.becomes}`);
      else body.push(` ${lines[l]}`);
    }
    out.push(`@@ -${from + 1},${to - from} +${from + 1 + shift},${to - from + added} @@`, ...body);
    shift += added;
  }
  return `${out.join('\n')}\n`;
}
