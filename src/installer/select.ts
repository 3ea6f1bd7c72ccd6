/**
 * Pure selection for `jrt install`: which flags were given, and which recipes or artifacts they mean.
 * Accepts deploy_runtimes.sh's spellings: `--all`, `--python-all` (any `--<language>-all`), and
 * `--<runtime-name>` such as `--python-3.11-ml` or `--node-18`.
 */

import { usageError } from '../core/errors.js';
import { ARTIFACT_SUFFIX } from '../core/runtime-format.js';
import { closestNames } from '../core/suggest.js';

export interface InstallRequest {
  all: boolean;
  languages: string[];
  names: string[];
  artifacts: string[];
  dryRun: boolean;
  force: boolean;
  offline: boolean;
  locked: boolean;
}

export interface RecipeRef {
  name: string;
  language: string;
  aliases: string[];
  file: string;
}

export type InstallTarget =
  | { kind: 'recipe'; name: string; language: string; file: string }
  | { kind: 'artifact'; file: string };

const BOOLEAN_FLAGS: Record<string, keyof InstallRequest> = {
  '--all': 'all',
  '--dry-run': 'dryRun',
  '--force': 'force',
  '-f': 'force',
  '--offline': 'offline',
  '--locked': 'locked',
};

export function parseInstallArgs(argv: string[]): InstallRequest {
  const req: InstallRequest = {
    all: false,
    languages: [],
    names: [],
    artifacts: [],
    dryRun: false,
    force: false,
    offline: false,
    locked: false,
  };
  let positionalOnly = false;
  for (const arg of argv) {
    const flag = BOOLEAN_FLAGS[arg];
    if (!positionalOnly && flag) (req as unknown as Record<string, boolean>)[flag] = true;
    else if (!positionalOnly && arg === '--') positionalOnly = true;
    else if (!positionalOnly && arg.startsWith('--') && arg.endsWith('-all') && arg.length > 6)
      req.languages.push(arg.slice(2, -4));
    else if (!positionalOnly && arg.startsWith('-')) {
      if (!arg.startsWith('--') || arg.includes('='))
        throw usageError('ERR_JRT_BAD_FLAG', `install: unknown flag ${arg}`, "see 'jrt install --help'");
      req.names.push(arg.slice(2));
    } else if (arg.endsWith(ARTIFACT_SUFFIX) || arg.includes('/')) req.artifacts.push(arg);
    else req.names.push(arg);
  }
  return req;
}

/** The install targets a request means, in a stable order without duplicates. */
export function selectTargets(req: InstallRequest, recipes: RecipeRef[]): InstallTarget[] {
  const out: InstallTarget[] = [];
  const seen = new Set<string>();
  const add = (r: RecipeRef) => {
    if (seen.has(r.name)) return;
    seen.add(r.name);
    out.push({ kind: 'recipe', name: r.name, language: r.language, file: r.file });
  };
  const languages = [...new Set(recipes.map((r) => r.language))].sort();
  if (req.all) for (const r of recipes) add(r);
  for (const lang of req.languages) {
    if (!languages.includes(lang))
      throw usageError(
        'ERR_JRT_UNKNOWN_RUNTIME',
        `--${lang}-all: no recipes for language '${lang}'`,
        languages.length > 0
          ? `languages with recipes: ${languages.map((l) => `--${l}-all`).join(', ')}`
          : 'no recipes found',
      );
    for (const r of recipes.filter((x) => x.language === lang)) add(r);
  }
  for (const n of req.names) {
    const r = recipes.find((x) => x.name === n) ?? recipes.find((x) => x.aliases.includes(n));
    if (!r) {
      const close = closestNames(n, recipes);
      throw usageError(
        'ERR_JRT_UNKNOWN_RUNTIME',
        `unknown runtime '${n}'`,
        close.length > 0
          ? `did you mean: ${close.join(', ')}?`
          : `known: ${recipes.map((x) => x.name).join(', ') || '(no recipes)'}`,
      );
    }
    add(r);
  }
  for (const file of req.artifacts) {
    if (seen.has(file)) continue;
    seen.add(file);
    out.push({ kind: 'artifact', file });
  }
  if (out.length === 0)
    throw usageError(
      'ERR_JRT_NOTHING_SELECTED',
      'install: say what to install',
      'jrt install --all | NAME... | ./NAME-VERSION.jrt.tar.gz',
    );
  return out;
}
