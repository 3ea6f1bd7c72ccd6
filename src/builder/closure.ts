/**
 * The runtime closure: the installed packages reachable from the recipe's runtime packages through
 * Depends and Pre-Depends. Pure: a dpkg database in, an ordered package list out.
 *
 * Rules (docs/closure.md): `a | b` takes the first alternative that is installed and not excluded;
 * a virtual name is satisfied by an installed package of that name, else by a provider already in the
 * closure, else by the first installed provider by name; version constraints and `:any` are ignored;
 * an excluded package is never entered, so what only it needs stays out; Essential packages come in
 * only when something depends on them.
 */
import { failure } from '../core/errors.js';
import type { DepClause, DpkgDb, DpkgPackage } from './dpkg.js';

export interface ClosureRequest {
  roots: string[];
  exclude: string[];
  buildOnly: string[];
}

export interface ClosureResult {
  /** In discovery order: roots first, then breadth-first. */
  packages: DpkgPackage[];
  /** Why each package is in the closure: the package whose dependency pulled it (absent for roots). */
  via: Map<string, string>;
  /** Build-only packages the runtime needs after all (they become runtime packages). */
  buildOnlyInClosure: { name: string; via: string }[];
  /** Roots listed in `exclude` (skipped). */
  excludedRoots: string[];
}

function formatClause(clause: DepClause): string {
  return clause.map((a) => (a.constraint ? `${a.name} (${a.constraint})` : a.name)).join(' | ');
}

/** Pick the installed package that satisfies one alternative, or undefined. */
function satisfy(db: DpkgDb, name: string, excluded: Set<string>, chosen: Set<string>): string | undefined {
  if (db.packages.has(name)) return excluded.has(name) ? undefined : name;
  const providers = (db.providers.get(name) ?? []).filter((p) => !excluded.has(p));
  return providers.find((p) => chosen.has(p)) ?? providers[0];
}

export function resolveClosure(db: DpkgDb, req: ClosureRequest): ClosureResult {
  const excluded = new Set(req.exclude);
  const chosen = new Set<string>();
  const order: DpkgPackage[] = [];
  const via = new Map<string, string>();
  const missing: string[] = [];
  const excludedRoots: string[] = [];
  const queue: string[] = [];

  const enter = (name: string, from?: string) => {
    if (chosen.has(name)) return;
    const pkg = db.packages.get(name);
    if (!pkg) return;
    chosen.add(name);
    order.push(pkg);
    if (from !== undefined) via.set(name, from);
    queue.push(name);
  };

  for (const root of req.roots) {
    if (excluded.has(root)) {
      excludedRoots.push(root);
      continue;
    }
    const found = satisfy(db, root, excluded, chosen);
    if (found === undefined) missing.push(`${root} (a runtime package of the recipe)`);
    else enter(found);
  }

  while (queue.length > 0) {
    const name = queue.shift()!;
    const pkg = db.packages.get(name)!;
    for (const clause of [...pkg.preDepends, ...pkg.depends]) {
      // A clause whose every alternative is excluded is cut on purpose.
      if (clause.every((a) => excluded.has(a.name))) continue;
      let found: string | undefined;
      for (const atom of clause) {
        found = satisfy(db, atom.name, excluded, chosen);
        if (found !== undefined) break;
      }
      if (found === undefined) missing.push(`${formatClause(clause)} (needed by ${name})`);
      else enter(found, name);
    }
  }

  if (missing.length > 0) {
    throw failure('ERR_JRT_CLOSURE_NOT_INSTALLED', `not installed in the build root: ${missing.join('; ')}`, {
      hint: 'add the package to build or runtime packages so apt installs it, or list it in runtime.exclude',
    });
  }

  const buildOnlyInClosure = req.buildOnly
    .filter((b) => chosen.has(b))
    .map((b) => ({ name: b, via: via.get(b) ?? '(a runtime package of the recipe)' }));
  return { packages: order, via, buildOnlyInClosure, excludedRoots };
}
