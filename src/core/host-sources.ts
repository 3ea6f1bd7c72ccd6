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
  for (const file of await aptSourceFiles(etcApt)) {
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

/**
 * Debian's security archive (`debian-security`, where `bookworm-security` lives): JRT_DEBIAN_SECURITY_MIRROR;
 * else, when JRT_DEBIAN_MIRROR names the mirror, its `.../debian` as `.../debian-security` (or that
 * same mirror, when it does not end in /debian: a private mirror serving every pocket itself); else
 * the host's apt sources' security URI; else the host mirror's `.../debian-security`.
 */
export async function hostDebianSecurityMirror(
  env: NodeJS.ProcessEnv = process.env,
  etcApt = '/etc/apt',
): Promise<string> {
  if (env.JRT_DEBIAN_SECURITY_MIRROR) return trimSlash(env.JRT_DEBIAN_SECURITY_MIRROR);
  const sibling = (m: string) => (/\/debian$/.test(m) ? `${m}-security` : m);
  if (env.JRT_DEBIAN_MIRROR) return sibling(trimSlash(env.JRT_DEBIAN_MIRROR));
  for (const file of await aptSourceFiles(etcApt)) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const uri = file.endsWith('.sources')
      ? firstDeb822Uri(text, true)
      : file.endsWith('.list')
        ? firstListUri(text, true)
        : undefined;
    if (uri) return trimSlash(uri);
  }
  return sibling(await hostDebianMirror(env, etcApt));
}

async function aptSourceFiles(etcApt: string): Promise<string[]> {
  const files: string[] = [path.join(etcApt, 'sources.list')];
  try {
    const dir = path.join(etcApt, 'sources.list.d');
    for (const f of (await readdir(dir)).sort()) files.push(path.join(dir, f));
  } catch {}
  return files;
}

/** The first URI of a `Types: deb` stanza whose URIs do (security) or do not look like the security archive. */
export function firstDeb822Uri(text: string, security = false): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set((m[1] as string).toLowerCase(), (m[2] as string).trim());
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if (fields.get('enabled') === 'no') continue;
    const uri = (fields.get('uris') ?? '').split(/\s+/).find((u) => u && u.includes('security') === security);
    if (uri) return uri;
  }
  return undefined;
}

export function firstListUri(text: string, security = false): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (m && (m[1] as string).includes('security') === security) return m[1];
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
