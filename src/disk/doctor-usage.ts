/**
 * What `jrt doctor`'s disk-usage check is given: how full jrt's filesystems are against usage_warn
 * (gc.conf) and, only when one is above it, what a `jrt gc` would free now (a dry run).
 */
import type { JrtPaths } from '../core/paths.js';
import type { DiskUsageState } from '../doctor/checks.js';
import { filesystems } from './df.js';
import { runGc } from './gc-apply.js';
import { readGcSettings } from './settings.js';

export async function diskUsageState(paths: JrtPaths, env: NodeJS.ProcessEnv): Promise<DiskUsageState> {
  try {
    const settings = readGcSettings(env);
    const fs = await filesystems(paths);
    const state: DiskUsageState = { threshold: settings.usageWarnPercent, filesystems: fs };
    if (!fs.some((f) => f.usedPercent > settings.usageWarnPercent)) return state;
    const r = await runGc(paths, settings, { dryRun: true });
    const byKind: Record<string, number> = {};
    for (const i of r.removed) byKind[i.kind] = (byKind[i.kind] ?? 0) + i.bytes;
    return { ...state, gc: { bytes: r.freed, items: r.removed.length, byKind } };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
