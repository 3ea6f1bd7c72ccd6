/**
 * What `PATH` runs for `python3`, `python`, `java`, `node`, `go` and `rustc`: the first hit, followed through
 * symlinks and update-alternatives, and through a version manager's shims or proxies to the install
 * they select (pyenv's and goenv's `version` file, rustup's default toolchain). A hit that belongs
 * to no install found so far is recognised from its directory and added (source `path`).
 */
import path from 'node:path';
import type { HostView } from './host-view.js';
import { languageOfCommand, RULES } from './languages.js';
import { homes, MANAGERS, type ManagerName } from './managers.js';
import { type HostInstall, installAt, type PathEntry } from './types.js';

export const PATH_COMMANDS = ['python3', 'python', 'java', 'node', 'go', 'rustc'];

/** The manager whose shim directory `dir` is, with its home. */
async function shimOwner(
  view: HostView,
  dir: string,
): Promise<{ manager: ManagerName; home: string } | undefined> {
  for (const home of await homes(view))
    for (const [manager, m] of Object.entries(MANAGERS) as [ManagerName, (typeof MANAGERS)[ManagerName]][])
      if (m.shims && dir === path.posix.join(home, m.shims)) return { manager, home };
  return undefined;
}

export async function scanPath(
  view: HostView,
  searchPath: string,
  all: HostInstall[],
  notes: string[],
): Promise<PathEntry[]> {
  const dirs = [...new Set(searchPath.split(':').filter((d) => d.startsWith('/')))];
  const out: PathEntry[] = [];
  for (const command of PATH_COMMANDS) {
    const entry: PathEntry = { command };
    for (const dir of dirs) {
      const found = path.posix.join(dir, command);
      if ((await view.kind(found)) !== 'file') continue;
      const shim = await shimOwner(view, dir);
      if (shim) {
        const m = MANAGERS[shim.manager];
        const selected = await m.selected(view, shim.home);
        if (selected === 'system') continue;
        const install = all.find(
          (i) => i.source === shim.manager && i.home === shim.home && i.managerName === selected,
        );
        if (install && !install.via.includes(`PATH ${command}`)) install.via.push(`PATH ${command}`);
        Object.assign(entry, {
          found,
          note: `${shim.manager} selects ${selected ?? 'nothing'}`,
          ...(install ? { resolved: install.command, install: install.where } : {}),
        });
        break;
      }
      const resolved = (await view.resolve(found)) ?? found;
      let install = installAt(all, resolved);
      if (!install) {
        const lang = languageOfCommand(command);
        const home = path.posix.dirname(path.posix.dirname(resolved));
        const d = lang && (await RULES[lang.language].detect(view, home));
        if (lang && d) {
          install = { language: lang.language, ...d, source: 'path', where: home, via: [] };
          all.push(install);
        } else notes.push(`PATH ${found} -> ${resolved}: belongs to no install jrt recognises`);
      }
      if (install && !install.via.includes(`PATH ${command}`)) install.via.push(`PATH ${command}`);
      Object.assign(entry, { found, resolved, ...(install ? { install: install.where } : {}) });
      break;
    }
    out.push(entry);
  }
  return out;
}
