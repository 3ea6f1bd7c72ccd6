/**
 * Version managers in users' homes (/root and /home/*): pyenv, nvm, sdkman, rustup and goenv, one
 * table entry each — where their installs live, which one their shims run, where they recorded
 * the sha256 of a source download, and the command that removes one install.
 */
import path from 'node:path';
import type { HostView } from './host-view.js';
import { type Language, RULES } from './languages.js';
import type { HostInstall } from './types.js';
import { cleanVersion, definitionDownload, type KnownDownload, rustDistDownload } from './versions.js';

export type ManagerName = 'pyenv' | 'nvm' | 'sdkman' | 'rustup' | 'goenv';

interface Manager {
  language: Language;
  /** Below a home: one directory per install. */
  dir: string;
  /** Entries of `dir` that are not installs. */
  skip: string[];
  /** Whether an entry's name is its version (`3.11.7`, `v18.20.8`) when its tree has no version file. */
  nameIsVersion: boolean;
  /** A PATH directory of shims or proxies that run the selected install. */
  shims?: string;
  /** The name of the install the shims run (undefined: none, `system`: the next PATH entry). */
  selected(view: HostView, home: string): Promise<string | undefined>;
  /** A download of this install's source that the manager recorded with its sha256. */
  download(view: HostView, home: string, name: string, version: string): Promise<KnownDownload | undefined>;
  /** The printed (never run) command that removes one install, run as the home's owner. */
  removal(name: string): string;
}

const firstLine = async (view: HostView, p: string) =>
  (await view.readText(p))?.split('\n')[0]?.trim().split(/\s+/)[0] || undefined;

const none = async () => undefined;

export const MANAGERS: Record<ManagerName, Manager> = {
  pyenv: {
    language: 'python',
    dir: '.pyenv/versions',
    skip: [],
    nameIsVersion: true,
    shims: '.pyenv/shims',
    selected: (view, home) => firstLine(view, `${home}/.pyenv/version`),
    download: async (view, home, name, version) => {
      const text = await view.readText(`${home}/.pyenv/plugins/python-build/share/python-build/${name}`);
      return text === undefined ? undefined : definitionDownload(text, `Python-${version}`);
    },
    removal: (name) => `pyenv uninstall -f ${name}`,
  },
  nvm: {
    language: 'node',
    dir: '.nvm/versions/node',
    skip: [],
    nameIsVersion: true,
    selected: none,
    download: none,
    removal: (name) => `nvm uninstall ${name}`,
  },
  sdkman: {
    language: 'java',
    dir: '.sdkman/candidates/java',
    skip: ['current'],
    nameIsVersion: false,
    selected: none,
    download: none,
    removal: (name) => `sdk uninstall java ${name}`,
  },
  rustup: {
    language: 'rust',
    dir: '.rustup/toolchains',
    skip: [],
    nameIsVersion: false,
    shims: '.cargo/bin',
    selected: async (view, home) =>
      /^default_toolchain\s*=\s*"([^"]+)"/m.exec(
        (await view.readText(`${home}/.rustup/settings.toml`)) ?? '',
      )?.[1],
    download: async (view, home, name) => {
      const manifest = `${home}/.rustup/toolchains/${name}/lib/rustlib/multirust-channel-manifest.toml`;
      const triple = /-(x86_64|aarch64)-unknown-linux-gnu$/.exec(name)?.[0]?.slice(1);
      const text = triple ? await view.readText(manifest, 8 << 20) : undefined;
      return text && triple ? rustDistDownload(text, triple) : undefined;
    },
    removal: (name) => `rustup toolchain uninstall ${name}`,
  },
  goenv: {
    language: 'go',
    dir: '.goenv/versions',
    skip: [],
    nameIsVersion: true,
    shims: '.goenv/shims',
    selected: (view, home) => firstLine(view, `${home}/.goenv/version`),
    download: async (view, home, name, version) => {
      const text = await view.readText(`${home}/.goenv/plugins/go-build/share/go-build/${name}`);
      return text === undefined ? undefined : definitionDownload(text, `go${version}`);
    },
    removal: (name) => `goenv uninstall -f ${name}`,
  },
};

/** /root and every directory in /home. */
export async function homes(view: HostView): Promise<string[]> {
  const out = (await view.kind('/root')) === 'dir' ? ['/root'] : [];
  for (const name of await view.list('/home'))
    if (!name.startsWith('.') && (await view.kind(`/home/${name}`)) === 'dir') out.push(`/home/${name}`);
  return out;
}

export async function scanManagers(view: HostView, notes: string[]): Promise<HostInstall[]> {
  const out: HostInstall[] = [];
  for (const home of await homes(view)) {
    for (const [manager, m] of Object.entries(MANAGERS) as [ManagerName, Manager][]) {
      for (const name of await view.list(`${home}/${m.dir}`)) {
        if (name.startsWith('.') || m.skip.includes(name)) continue;
        const dir = path.posix.join(home, m.dir, name);
        if ((await view.kind(dir)) !== 'dir') continue;
        const detected = await RULES[m.language].detect(view, dir);
        // The more precise of what the tree says and what its name says (a patchlevel.h beats `3.11`).
        const version = [detected?.version, m.nameIsVersion ? cleanVersion(name) : undefined]
          .filter((v): v is string => v !== undefined)
          .sort((a, b) => b.split('.').length - a.split('.').length)[0];
        if (!version) {
          notes.push(`${dir}: a ${manager} ${m.language} install whose version jrt cannot read`);
          continue;
        }
        const download = await m.download(view, home, name, version);
        out.push({
          language: m.language,
          version,
          source: manager,
          where: dir,
          command: detected?.command ?? `${dir}/bin/${RULES[m.language].commands[0]}`,
          home,
          managerName: name,
          via: [],
          ...(download ? { download } : {}),
        });
      }
    }
  }
  return out;
}
