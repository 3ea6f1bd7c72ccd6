import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every directory jrt reads or writes, resolved once from flags, JRT_* variables and defaults. */
export interface JrtPaths {
  /** Installed runtimes: <root>/<language>/<name>/ */
  root: string;
  /** Downloads (content-addressed) and cached base roots. */
  cache: string;
  /** Locks, volumes, job records, install journal. */
  state: string;
  /** Joblet's configuration file, updated after installs. */
  jobletConfig: string;
  /** Directory of recipes (NAME.yml + NAME.lock.json). */
  recipes: string;
  /** Build and job logs. */
  log: string;
}

export type PathOverrides = Partial<JrtPaths>;

/** The recipes shipped with the package: <package>/recipes, found from the bundle's location. */
export function packagedRecipesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // The bundle lives in dist/, sources in src/core/: both sit below the package root.
  const up = path.basename(here) === 'dist' ? '..' : '../..';
  return path.resolve(here, up, 'recipes');
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, flags: PathOverrides = {}): JrtPaths {
  const pick = (flag: string | undefined, variable: string, fallback: () => string): string =>
    path.resolve(flag ?? nonEmpty(env[variable]) ?? fallback());
  return {
    root: pick(flags.root, 'JRT_ROOT', () => '/opt/joblet/runtimes'),
    cache: pick(flags.cache, 'JRT_CACHE', () => '/var/cache/jrt'),
    state: pick(flags.state, 'JRT_STATE', () => '/var/lib/jrt'),
    jobletConfig: pick(flags.jobletConfig, 'JRT_JOBLET_CONFIG', () => '/opt/joblet/config/joblet-config.yml'),
    recipes: pick(flags.recipes, 'JRT_RECIPES', packagedRecipesDir),
    log: pick(flags.log, 'JRT_LOG', () => '/var/log/joblet/jrt'),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
