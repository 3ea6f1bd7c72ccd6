/**
 * The seam to the builder. `jrt install NAME` builds the recipe into an artifact, then installs the
 * artifact exactly like `jrt install ./X.jrt.tar.gz`. Tests pass their own BuildRuntime.
 */
import { failure } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import type { OnProgress } from '../core/progress.js';
import type { Manifest } from '../core/runtime-format.js';

export interface BuildRequest {
  recipeFile: string;
  paths: JrtPaths;
  onProgress: OnProgress;
  offline: boolean;
  locked: boolean;
}

export type BuildRuntime = (req: BuildRequest) => Promise<{ artifact: string; manifest: Manifest }>;

/**
 * The real builder lives in src/builder/build.ts (the lead's branch). Until it is merged this reports
 * that building is unavailable; the lead replaces the body with
 * `return (await import('../builder/build.js')).buildRuntime(req);`.
 */
export const defaultBuildRuntime: BuildRuntime = async (req) => {
  throw failure(
    'ERR_JRT_BUILDER_UNAVAILABLE',
    `cannot build ${req.recipeFile}: the builder is not part of this version`,
    {
      hint: 'install a prebuilt artifact instead: jrt install ./NAME-VERSION.jrt.tar.gz',
    },
  );
};
