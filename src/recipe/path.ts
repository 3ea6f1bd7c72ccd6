/** A location inside a recipe: object keys and array indexes, e.g. ['build', 'steps', 1, 'run']. */
export type RecipePath = ReadonlyArray<string | number>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `build.steps[1].run`, `entrypoints[".java"]`; the document itself is `(root)`. */
export function formatPath(path: RecipePath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Turn an ajv instancePath (`/build/steps/1/run`) into segments, using the data to tell indexes from keys. */
export function pointerToPath(pointer: string, data: unknown): Array<string | number> {
  if (pointer === '') return [];
  const out: Array<string | number> = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const index = Number(key);
      out.push(index);
      cur = cur[index];
    } else {
      out.push(key);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** The value at `path` in plain data, or undefined. */
export function valueAt(data: unknown, path: RecipePath): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Object.hasOwn(cur, seg) ? (cur as Record<string | number, unknown>)[seg] : undefined;
  }
  return cur;
}
