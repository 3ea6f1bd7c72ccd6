/** What is installed under the runtimes root: <root>/<language>/<name> (a jrt symlink or a plain dir). */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  MANIFEST_JSON,
  type Manifest,
  RUNTIME_JSON,
  RUNTIME_YML,
  type RuntimeYml,
} from '../core/runtime-format.js';
import { currentVersion } from './layout.js';

export interface InstalledRuntime {
  name: string;
  language: string;
  /** <root>/<language>/<name> */
  path: string;
  /** The real directory behind it. */
  dir: string;
  managed: boolean;
  runtime: Partial<RuntimeYml>;
  manifest: Manifest | undefined;
}

async function readRuntimeYml(dir: string): Promise<Partial<RuntimeYml>> {
  try {
    return JSON.parse(await readFile(path.join(dir, RUNTIME_JSON), 'utf8')) as Partial<RuntimeYml>;
  } catch {}
  try {
    const { parse } = await import('yaml');
    return (parse(await readFile(path.join(dir, RUNTIME_YML), 'utf8')) ?? {}) as Partial<RuntimeYml>;
  } catch {
    return {};
  }
}

export async function listInstalled(root: string): Promise<InstalledRuntime[]> {
  const out: InstalledRuntime[] = [];
  for (const language of (await readdir(root).catch(() => [] as string[])).sort()) {
    if (language.startsWith('.')) continue;
    const langDir = path.join(root, language);
    if (!(await stat(langDir).catch(() => undefined))?.isDirectory()) continue;
    for (const name of (await readdir(langDir)).sort()) {
      if (name.startsWith('.')) continue;
      const cur = await currentVersion(root, language, name);
      if (!cur) continue;
      const runtime = await readRuntimeYml(cur.dir);
      if (
        Object.keys(runtime).length === 0 &&
        !(await stat(path.join(cur.dir, RUNTIME_YML)).catch(() => undefined))
      )
        continue;
      let manifest: Manifest | undefined;
      try {
        manifest = JSON.parse(await readFile(path.join(cur.dir, MANIFEST_JSON), 'utf8')) as Manifest;
      } catch {}
      out.push({
        name,
        language,
        path: path.join(langDir, name),
        dir: cur.dir,
        managed: cur.kind === 'managed',
        runtime,
        manifest,
      });
    }
  }
  return out;
}
