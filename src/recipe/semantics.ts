/**
 * Checks that span fields or need more than a pattern: they run on the raw data whether or not the
 * schema passed (so all errors come at once), and look only at values of the expected type.
 */

import type { RecipePath } from './path.js';
import { LANGUAGE_PATTERN, MEMORY_RE, NAME_PATTERN } from './schema.js';

export interface Issue {
  path: RecipePath;
  message: string;
  anchor?: 'key' | 'value';
  /** Where to point when it differs from `path` (a missing key: its parent mapping). */
  locateAt?: RecipePath;
}

const NAME_RE = new RegExp(NAME_PATTERN);
const LANGUAGE_RE = new RegExp(LANGUAGE_PATTERN);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function semanticIssues(data: unknown): Issue[] {
  if (!isObj(data)) return [];
  const issues: Issue[] = [];
  const { name, language } = data;
  if (
    typeof name === 'string' &&
    typeof language === 'string' &&
    NAME_RE.test(name) &&
    LANGUAGE_RE.test(language) &&
    !name.startsWith(`${language}-`)
  ) {
    issues.push({ path: ['name'], message: `must start with the language: '${language}-'` });
  }
  const { version, spec_version: spec } = data;
  if (
    typeof version === 'string' &&
    typeof spec === 'string' &&
    version !== spec &&
    !version.startsWith(`${spec}.`)
  )
    issues.push({
      path: ['spec_version'],
      message: `must be version '${version}' or a prefix of it (like '${version.split('.')[0]}'): a spec that names it must match the runtime`,
    });
  checkBase(data, issues);
  checkAliases(data, issues);
  if (isObj(data.build)) uniqueNames(list(data.build.steps), ['build', 'steps'], 'step', issues);
  uniqueNames(list(data.test), ['test'], 'test', issues);
  list(data.test).forEach((t, i) => {
    if (!isObj(t) || !isObj(t.files)) return;
    const names = new Set(Object.keys(t.files));
    for (const name of names) {
      const parents = name.split('/').slice(0, -1);
      const asDir = parents.map((_, j) => parents.slice(0, j + 1).join('/')).find((d) => names.has(d));
      if (asDir !== undefined)
        issues.push({
          path: ['test', i, 'files', asDir],
          anchor: 'key',
          message: `is a file and also the directory of '${name}'`,
        });
    }
    for (const name of names) {
      const parts = name.split('/');
      if (parts.includes('..'))
        issues.push({
          path: ['test', i, 'files', name],
          anchor: 'key',
          message: "must not contain '..' (files stay in the job's working directory)",
        });
      else if (parts.some((c) => c === '.' || c === ''))
        issues.push({
          path: ['test', i, 'files', name],
          anchor: 'key',
          message: "must name a file: no '.' or empty component (like lib/data.txt)",
        });
    }
  });
  list(data.sources).forEach((s, i) => {
    if (isObj(s) && s.kind === 'file')
      relativeInside(s.path, ['sources', i, 'path'], 'the recipe directory', issues);
  });
  const targets = new Map<string, number>();
  list(data.mounts).forEach((m, i) => {
    if (!isObj(m)) return;
    relativeInside(m.source, ['mounts', i, 'source'], 'the runtime directory', issues);
    if (typeof m.target === 'string' && m.target.startsWith('/')) {
      if (m.target.split('/').includes('..'))
        issues.push({ path: ['mounts', i, 'target'], message: "must not contain '..'" });
      const seen = targets.get(m.target);
      if (seen !== undefined)
        issues.push({
          path: ['mounts', i, 'target'],
          message: `duplicate mount target (also mounts[${seen}])`,
        });
      else targets.set(m.target, i);
    }
    list(m.selective).forEach((s, j) => {
      relativeInside(s, ['mounts', i, 'selective', j], 'the mount source', issues);
    });
  });
  if (isObj(data.requirements)) {
    const min = memoryBytes(data.requirements.min_memory);
    const rec = memoryBytes(data.requirements.recommended_memory);
    if (min !== undefined && rec !== undefined && rec < min)
      issues.push({
        path: ['requirements', 'recommended_memory'],
        message: 'must not be less than min_memory',
      });
  }
  return issues;
}

const POCKET_SUFFIX = /^([a-z][a-z0-9]*)-(security|updates|backports|backports-sloppy|proposed-updates)$/;

/** `base: bookworm-backports` names a pocket, which no root can be made from: say how to ask for it. */
function checkBase(data: Obj, issues: Issue[]): void {
  const m = typeof data.base === 'string' ? POCKET_SUFFIX.exec(data.base) : null;
  if (m) {
    const [, suite, pocket] = m as unknown as [string, string, string];
    const asked = ['security', 'updates', 'backports'].includes(pocket)
      ? `base: ${suite} with pockets: [${[...new Set(['security', 'updates', pocket])].join(', ')}]`
      : `base: ${suite} (its pockets: security, updates, backports)`;
    issues.push({
      path: ['base'],
      message: `'${data.base}' is a pocket of ${suite}, not a suite a build root can be made from: write ${asked}`,
    });
  }
  if (
    typeof data.base === 'string' &&
    ['sid', 'unstable', 'experimental'].includes(data.base) &&
    Array.isArray(data.pockets) &&
    data.pockets.length > 0
  )
    issues.push({
      path: ['pockets'],
      message: `${data.base} has no pockets (write pockets: [] or leave it out)`,
    });
}

function checkAliases(data: Obj, issues: Issue[]): void {
  const seen = new Map<string, number>();
  list(data.aliases).forEach((a, i) => {
    if (typeof a !== 'string') return;
    if (a === data.name) issues.push({ path: ['aliases', i], message: `is the recipe's own name` });
    const first = seen.get(a);
    if (first !== undefined)
      issues.push({ path: ['aliases', i], message: `duplicate alias (also aliases[${first}])` });
    else seen.set(a, i);
  });
}

function uniqueNames(items: unknown[], at: RecipePath, what: string, issues: Issue[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    if (!isObj(item) || typeof item.name !== 'string') return;
    const first = seen.get(item.name);
    if (first !== undefined)
      issues.push({
        path: [...at, i, 'name'],
        message: `duplicate ${what} name '${item.name}' (also ${formatIndex(at, first)})`,
      });
    else seen.set(item.name, i);
  });
}

function formatIndex(at: RecipePath, i: number): string {
  return `${at.join('.')}[${i}]`;
}

function relativeInside(value: unknown, path: RecipePath, inside: string, issues: Issue[]): void {
  if (typeof value !== 'string' || value === '') return;
  if (value.startsWith('/')) issues.push({ path, message: `must be relative to ${inside} (no leading /)` });
  else if (value.split('/').includes('..'))
    issues.push({ path, message: `must not contain '..' (stay inside ${inside})` });
}

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/** Bytes of a size like `512MB` or `1GiB`; undefined when it is not one. */
export function memoryBytes(value: unknown): number | undefined {
  if (typeof value !== 'string' || !new RegExp(MEMORY_RE).test(value)) return undefined;
  const m = /^([0-9.]+)(.*)$/.exec(value) as RegExpExecArray;
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}
