/**
 * The seam to the builder. `jrt install NAME` builds the recipe into an artifact, then installs the
 * artifact exactly like `jrt install ./X.jrt.tar.gz`. Tests pass their own BuildRuntime.
 */
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

/** Builds into JRT_CACHE/artifacts, so a later `jrt install` of the same artifact finds it. */
export const defaultBuildRuntime: BuildRuntime = async (req) => {
  const { buildRuntime } = await import('../builder/build.js');
  const path = await import('node:path');
  const r = await buildRuntime({ ...req, outDir: path.join(req.paths.cache, 'artifacts') });
  return { artifact: r.artifact, manifest: r.manifest };
};
