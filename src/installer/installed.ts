/**
 * What `jrt runtime list|info|verify|remove` need beyond what the runner lists: the real version
 * directory behind a name, whether jrt manages it, and its manifest. Listing and name resolution
 * themselves are the runner's (src/runner/resolve.ts), so `jrt runtime info java:17` resolves
 * exactly as `jrt exec --runtime=java:17` does.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_JSON, type Manifest, type RuntimeYml } from '../core/runtime-format.js';
import {
  type ListedRuntime,
  listInstalled,
  type RuntimeLayout,
  resolveRuntimeSpec,
} from '../runner/resolve.js';
import { resolveRuntimeDir } from './layout.js';

export interface InstalledDetails {
  name: string;
  language: string;
  version: string;
  tags: string[];
  /** <root>/<language>/<name> */
  path: string;
  /** The real directory behind it. */
  dir: string;
  managed: boolean;
  /** Where it was found (runner/resolve.ts: RuntimeLayout). */
  layout: RuntimeLayout;
  /** Not installed by jrt: another layout, or no `.jrt-current` (Joblet's tools, deploy_runtimes.sh, a copy). */
  foreign: boolean;
  runtime: Partial<RuntimeYml>;
  /** Why runtime.json / runtime.yml could not be read, if so. */
  problem: string | undefined;
  manifest: Manifest | undefined;
}

export async function detailInstalled(r: ListedRuntime): Promise<InstalledDetails> {
  const dir = await resolveRuntimeDir(r.dir);
  let manifest: Manifest | undefined;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_JSON), 'utf8')) as Manifest;
  } catch {}
  return {
    name: r.name,
    language: r.language,
    version: r.version,
    tags: r.tags,
    path: r.dir,
    dir,
    managed: dir !== r.dir,
    layout: r.layout,
    foreign: r.layout !== 'language' || dir === r.dir,
    runtime: r.runtime ?? {},
    problem: r.problem,
    manifest,
  };
}

/** Every installed runtime, damaged ones included, with its details. */
export async function listInstalledDetails(root: string): Promise<InstalledDetails[]> {
  return Promise.all((await listInstalled(root, { unreadable: true })).map(detailInstalled));
}

/** A name, alias or `--runtime` spec (`java:17`, `python-3.11-ml`, `name@version`), as `jrt exec` resolves it. */
export async function resolveInstalled(root: string, spec: string): Promise<InstalledDetails> {
  return detailInstalled(resolveRuntimeSpec(spec, await listInstalled(root, { unreadable: true })));
}
