/** What `jrt migrate scan` finds on a host: the data every later step (plan, jobs, removal) reads. */
import type { Language } from './languages.js';
import type { KnownDownload } from './versions.js';

/** Where an install came from; each has its own scanner and its own way of being removed. */
export type InstallSource =
  | 'debian'
  | 'alternatives'
  | 'jvm-dir'
  | 'usr-local'
  | 'opt'
  | 'path'
  | 'pyenv'
  | 'nvm'
  | 'sdkman'
  | 'rustup'
  | 'goenv';

export interface HostInstall {
  language: Language;
  /** The full version when the host says it (`3.11.2`), else the series (`3.11`). */
  version: string;
  source: InstallSource;
  /** Where it lives (in-host absolute): a prefix or JDK home, or the interpreter of a Debian package. */
  where: string;
  /** The interpreter. */
  command: string;
  /** Debian: the packages that make up this install, with their versions. */
  packages?: { name: string; version: string }[];
  /** Version managers: the home it lives in and the manager's name for it. */
  home?: string;
  managerName?: string;
  /** Other paths that lead to it: update-alternatives choices, /usr/local/bin links, PATH hits. */
  via: string[];
  /** update-alternatives choices that run it (`java` → `/opt/jdk-21/bin/java`). */
  alternatives?: { name: string; path: string }[];
  /** A source download with its sha256 that the host itself recorded (pyenv/goenv definitions, rustup). */
  download?: KnownDownload;
}

/** What `PATH` resolves a command to. */
export interface PathEntry {
  command: string;
  /** The first PATH hit (in-host), or undefined when PATH has none. */
  found?: string;
  /** Symlinks, alternatives and version-manager shims followed. */
  resolved?: string;
  /** `where` of the install it belongs to. */
  install?: string;
  /** How a shim or proxy was followed (`pyenv global 3.11.7`). */
  note?: string;
}

export interface ScanResult {
  root: string;
  installs: HostInstall[];
  path: PathEntry[];
  /** Things seen but not understood (a JDK without a release file, an unreadable dpkg database). */
  notes: string[];
}

/** The install `p` (in-host path) belongs to: equal to its interpreter or inside its home. */
export function installAt(installs: readonly HostInstall[], p: string): HostInstall | undefined {
  return (
    installs.find((i) => i.command === p || i.where === p) ??
    installs.find((i) => p.startsWith(`${i.where}/`) && i.where !== '/usr' && i.where !== '/usr/local')
  );
}
