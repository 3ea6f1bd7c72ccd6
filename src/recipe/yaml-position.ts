/**
 * Maps a recipe path (['build', 'steps', 1, 'run']) back to the YAML node it came from, so every
 * error can name the line and column a person has to edit.
 */
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  visit,
} from 'yaml';
import type { RecipePath } from './path.js';

export interface Position {
  line: number;
  column: number;
}

/** Which part of the addressed entry to point at. */
export type Anchor = 'value' | 'key';

export function locate(
  doc: Document,
  lines: LineCounter,
  path: RecipePath,
  anchor: Anchor = 'value',
): Position {
  let node: unknown = doc.contents;
  // The deepest node we managed to reach: errors about missing or odd entries point at it.
  let best: Node | undefined = isNodeWithRange(node) ? node : undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    if (isAlias(node)) node = node.resolve(doc);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      if (last && anchor === 'key' && isNodeWithRange(pair.key)) return at(lines, pair.key);
      if (!isNodeWithRange(pair.value) || isEmptyScalar(pair.value)) {
        // `key:` with nothing after it: point at the key.
        if (isNodeWithRange(pair.key)) best = pair.key;
        break;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!isNodeWithRange(item)) break;
      node = item;
    } else break;
    best = node as Node;
  }
  return best ? at(lines, best) : { line: 1, column: 1 };
}

function isEmptyScalar(n: Node): boolean {
  return isScalar(n) && n.value === null && n.source === '';
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function isNodeWithRange(n: unknown): n is Node {
  return (
    n !== null &&
    typeof n === 'object' &&
    'range' in n &&
    Array.isArray((n as Node).range) &&
    typeof (n as Node).range?.[0] === 'number'
  );
}

function at(lines: LineCounter, node: Node): Position {
  const { line, col } = lines.linePos((node.range as [number, number, number])[0]);
  return { line, column: col };
}

/** The source text of the scalar at `path` (`3.10` stays `3.10`), if it is a scalar. */
export function sourceText(doc: Document, path: RecipePath): string | undefined {
  const node = doc.getIn(path as Array<string | number>, true);
  if (isScalar(node)) return typeof node.source === 'string' ? node.source : String(node.value);
  return undefined;
}

/** Where mapping keys are collections (`? [a]`): JSON has no such keys, and yaml would only warn. */
export function collectionKeyOffsets(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) offsets.push(pair.key.range?.[0] ?? 0);
    },
  });
  return offsets;
}

/** The path of the deepest node whose source range holds `offset` (for YAML syntax errors). */
export function pathAtOffset(doc: Document, offset: number): RecipePath {
  const path: Array<string | number> = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 1000; depth++) {
    let next: unknown;
    if (isMap(node)) {
      for (const p of node.items) {
        if (!isPair(p)) continue;
        const k = p.key as Node | null;
        const v = p.value as Node | null;
        const kr = k?.range;
        const vr = v?.range;
        const start = kr?.[0] ?? vr?.[0];
        const end = vr?.[2] ?? kr?.[2];
        if (start !== undefined && end !== undefined && offset >= start && offset < end) {
          // A key that is itself a collection has no name to show: stop at its mapping.
          if (!isScalar(k)) return path;
          path.push(String(k.value));
          next = vr && offset >= vr[0] ? v : undefined;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const r = (item as Node | null)?.range;
        if (next === undefined && r && offset >= r[0] && offset < r[2]) {
          path.push(i);
          next = item;
        }
      });
    }
    if (next === undefined) break;
    node = next;
  }
  return path;
}
