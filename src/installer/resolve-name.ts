/**
 * Resolve a name the user typed to an installed runtime: exact name, then an alias from runtime.yml.
 * The lead will point this at resolveRuntimeSpec (src/runner/resolve.ts) once the runner is merged.
 */
import { usageError } from '../core/errors.js';
import { type InstalledRuntime, listInstalled } from './installed.js';
import { didYouMean } from './select.js';

export async function resolveInstalled(root: string, nameOrAlias: string): Promise<InstalledRuntime> {
  const all = await listInstalled(root);
  const hit =
    all.find((r) => r.name === nameOrAlias) ??
    all.find((r) => (r.runtime.aliases ?? []).includes(nameOrAlias));
  if (hit) return hit;
  const names = all.map((r) => r.name);
  const close = didYouMean(nameOrAlias, names);
  throw usageError(
    'ERR_JRT_RUNTIME_NOT_INSTALLED',
    `no installed runtime '${nameOrAlias}' under ${root}`,
    close.length > 0
      ? `did you mean: ${close.join(', ')}?`
      : names.length > 0
        ? `installed: ${names.join(', ')}`
        : 'nothing is installed; see jrt install --help',
  );
}
