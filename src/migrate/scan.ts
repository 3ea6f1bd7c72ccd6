/**
 * `jrt migrate scan`: every language runtime on a host, from each place one can come from, in one
 * list without duplicates (an install found twice — a JDK from a package that is also an
 * alternative, a /usr/local/bin link into /opt — is one install with several `via`).
 */
import type { DpkgDb } from '../builder/dpkg.js';
import type { HostView } from './host-view.js';
import { scanManagers } from './managers.js';
import { readHostDpkg, scanAlternatives, scanDebian } from './scan-debian.js';
import { scanJvmDir, scanOpt, scanUsrLocal } from './scan-dirs.js';
import { scanPath } from './scan-path.js';
import type { ScanResult } from './types.js';

export interface HostScan extends ScanResult {
  /** The host's dpkg database, for the removal step (undefined on a host without dpkg). */
  dpkg: DpkgDb | undefined;
}

export async function scanHost(view: HostView, searchPath: string): Promise<HostScan> {
  const notes: string[] = [];
  const dpkg = await readHostDpkg(view, notes);
  const installs = dpkg ? await scanDebian(view, dpkg, notes) : [];
  installs.push(...(await scanAlternatives(view, installs, notes)));
  await scanJvmDir(view, installs);
  await scanUsrLocal(view, installs, notes);
  await scanOpt(view, installs);
  installs.push(...(await scanManagers(view, notes)));
  const path = await scanPath(view, searchPath, installs, notes);
  return { root: view.root, installs, path, notes, dpkg };
}
