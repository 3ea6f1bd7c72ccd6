/** Seeded mutations of recipe texts for the fuzz test. */
import { parse, stringify } from 'yaml';

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

function randomString(r: Rand): string {
  return pick(r, [
    '',
    ' ',
    'x'.repeat(1 + Math.floor(r() * 200_000)),
    '../../etc/passwd',
    '/abs/path',
    '$HOME and $(id)',
    'üñíçødé ✓',
    'a\u0000b',
    '\t\n',
    '3.10',
    '^1.2.3',
    `sha256:${'f'.repeat(64)}`,
    '__proto__',
    'constructor',
    String(Math.floor(r() * 1e9)),
  ]);
}

function randomValue(r: Rand, depth = 0): unknown {
  const kind = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick(r, [0, -1, 3.1, 1e308, -1e-308, Number.MAX_SAFE_INTEGER, 17]);
    case 3:
    case 4:
    case 5:
      return randomString(r);
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--)
        o[randomString(r).slice(0, 20) || 'k'] = randomValue(r, depth + 1);
      return o;
    }
    default: {
      // Deep nesting.
      let v: unknown = 'leaf';
      const levels = 50 + Math.floor(r() * 200);
      for (let i = 0; i < levels; i++) v = r() < 0.5 ? [v] : { k: v };
      return v;
    }
  }
}

/** All container paths of plain data, to pick a place to mutate. */
function containers(v: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  if (v !== null && typeof v === 'object') {
    out.push(at);
    for (const [k, child] of Object.entries(v))
      containers(child, [...at, Array.isArray(v) && /^\d+$/.test(k) ? Number(k) : k], out);
  }
  return out;
}

function getAt(v: unknown, at: Array<string | number>): Record<string | number, unknown> {
  let cur = v as Record<string | number, unknown>;
  for (const k of at) cur = cur[k] as Record<string | number, unknown>;
  return cur;
}

export function mutateData(r: Rand, text: string): string {
  const data = parse(text) as Record<string, unknown>;
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
    const target = getAt(data, pick(r, containers(data)));
    const keys = Object.keys(target);
    const key = keys.length > 0 ? pick(r, keys) : '0';
    const op = Math.floor(r() * 4);
    if (op === 0) delete target[key];
    else if (op === 1) target[key] = randomValue(r);
    else if (op === 2 && Array.isArray(target)) target.push(randomValue(r));
    else if (op === 2) target[randomString(r).slice(0, 30) || 'extra'] = randomValue(r);
    else if (Array.isArray(target)) target.push(structuredClone(target[0] ?? null));
    else target[key] = [target[key], target[key]];
  }
  return stringify(data);
}

export function mutateText(r: Rand, text: string): string {
  const lines = text.split('\n');
  const i = Math.floor(r() * lines.length);
  const line = lines[i] ?? '';
  switch (Math.floor(r() * 10)) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      lines.splice(i, 0, line); // duplicate keys or list items
      break;
    case 2: {
      const at = Math.floor(r() * (line.length + 1));
      lines[i] =
        line.slice(0, at) +
        pick(r, [':', '[', '{', '"', "'", '\t', '&a ', '*a', '!!binary ', '- ', '? ', '|', '%']) +
        line.slice(at);
      break;
    }
    case 3:
      return text.slice(0, Math.floor(r() * text.length));
    case 4:
      lines[i] = `${' '.repeat(Math.floor(r() * 7))}${line.trimStart()}`;
      break;
    case 5:
      lines.splice(i, 0, '---');
      break;
    case 6:
      lines.splice(i, 0, `deep: ${'['.repeat(1 + Math.floor(r() * 3000))}`);
      break;
    case 7:
      lines.splice(
        i,
        0,
        'a: &a [x, x]',
        'b: &b [*a, *a, *a, *a]',
        'c: &c [*b, *b, *b, *b]',
        'd: [*c, *c, *c, *c, *c]',
      );
      break;
    case 8:
      lines.splice(
        i,
        0,
        pick(r, ['__proto__: {name: x}', 'constructor: 1', '<<: {language: x}', '? [a]\n: b']),
      );
      break;
    default:
      lines[i] = line.replace(/"([0-9.]+)"/, '$1'); // unquote a version
  }
  return lines.join('\n');
}
