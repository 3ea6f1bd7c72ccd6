/**
 * Where jrt downloads from: taken from the host's own configuration (apt sources, npm config),
 * overridable with JRT_DEBIAN_MIRROR and JRT_NPM_REGISTRY. Nothing is hard-coded but the fallbacks
 * Debian and npm themselves use.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The first `deb` URI of the host's apt configuration (deb822 .sources or one-line .list files). */
export async function hostDebianMirror(
  env: NodeJS.ProcessEnv = process.env,
  etcApt = '/etc/apt',
): Promise<string> {
  const override = env.JRT_DEBIAN_MIRROR;
  if (override) return trimSlash(override);
  const files: string[] = [path.join(etcApt, 'sources.list')];
  try {
    const dir = path.join(etcApt, 'sources.list.d');
    for (const f of (await readdir(dir)).sort()) files.push(path.join(dir, f));
  } catch {}
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const uri = file.endsWith('.sources')
      ? firstDeb822Uri(text)
      : file.endsWith('.list')
        ? firstListUri(text)
        : undefined;
    if (uri) return trimSlash(uri);
  }
  return 'http://deb.debian.org/debian';
}

/** The first URI of a `Types: deb` stanza whose URIs do not look like the security archive. */
export function firstDeb822Uri(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set((m[1] as string).toLowerCase(), (m[2] as string).trim());
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if (fields.get('enabled') === 'no') continue;
    const uri = (fields.get('uris') ?? '').split(/\s+/).find((u) => u && !u.includes('security'));
    if (uri) return uri;
  }
  return undefined;
}

export function firstListUri(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (m && !(m[1] as string).includes('security')) return m[1];
  }
  return undefined;
}

/** npm's registry: JRT_NPM_REGISTRY, then npm_config_registry, then ~/.npmrc and /etc/npmrc, then npm's default. */
export async function hostNpmRegistry(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const override = env.JRT_NPM_REGISTRY ?? env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY;
  if (override) return trimSlash(override);
  const home = env.HOME ?? '/root';
  for (const file of [path.join(home, '.npmrc'), '/etc/npmrc', '/usr/etc/npmrc']) {
    try {
      const m = /^\s*registry\s*=\s*(\S+)/m.exec(await readFile(file, 'utf8'));
      if (m) return trimSlash(m[1] as string);
    } catch {}
  }
  return 'https://registry.npmjs.org';
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
