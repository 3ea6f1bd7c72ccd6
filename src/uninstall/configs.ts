/**
 * Joblet's config files as `jrt uninstall` will leave them: read, restored from the journal in
 * JRT_STATE (joblet-restore.ts), checked, and written back keeping mode and owner — or removed,
 * with the directories jrt made for them, when jrt created them and nothing else is in them.
 */
import { readFile, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { replaceFile } from '../core/durable.js';
import { failure } from '../core/errors.js';
import type { JrtPaths } from '../core/paths.js';
import { runtimeConfigBeside } from '../installer/joblet-config.js';
import { readJournal } from '../installer/joblet-journal.js';
import { restoreRuntimeKeys } from './joblet-restore.js';

export interface ConfigRestore {
  file: string;
  action: 'remove' | 'restore' | 'unchanged';
  /** Keys left in place and why. */
  kept: string[];
  text: string;
  createdDirs: string[];
}

export async function planConfigs(paths: JrtPaths): Promise<ConfigRestore[]> {
  const journal = await readJournal(paths.state);
  const files: [string, Record<string, boolean | string>][] = [
    [paths.jobletConfig, { enabled: true, base_path: paths.root }],
    [runtimeConfigBeside(paths.jobletConfig), { base_path: paths.root }],
  ];
  const out: ConfigRestore[] = [];
  for (const [file, values] of files) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const entry = journal.files[path.resolve(file)];
    const r = restoreRuntimeKeys(text, entry, values);
    if (r.text !== text && parseDocument(r.text).errors.length > 0)
      throw failure(
        'ERR_JRT_JOBLET_CONFIG',
        `could not take jrt's keys out of ${file} safely; nothing was changed`,
        {
          hint: 'remove runtime.enabled and runtime.base_path by hand',
        },
      );
    out.push({
      file,
      action: r.remove ? 'remove' : r.text === text ? 'unchanged' : 'restore',
      kept: r.kept,
      text: r.text,
      createdDirs: entry?.created ? entry.createdDirs : [],
    });
  }
  return out;
}

export async function applyConfig(c: ConfigRestore): Promise<void> {
  if (c.action === 'remove') {
    await rm(c.file, { force: true });
    for (const d of c.createdDirs) await rmdir(d).catch(() => {});
  } else if (c.action === 'restore') {
    const st = await stat(c.file);
    await replaceFile(c.file, c.text, { mode: st.mode, uid: st.uid, gid: st.gid });
  }
}
