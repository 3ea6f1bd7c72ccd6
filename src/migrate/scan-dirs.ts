/**
 * Installs no package manager knows about: JDKs unpacked into /usr/lib/jvm, interpreters in
 * /usr/local/bin (a `make altinstall`, a link into a tarball), the official Go tree in
 * /usr/local/go, and trees under /opt (one or two levels down: /opt/jdk-17, /opt/java/jdk-21).
 */
import path from 'node:path';
import type { HostView } from './host-view.js';
import { LANGUAGES, type Language, languageOfCommand, pythonIn, RULES } from './languages.js';
import { type HostInstall, type InstallSource, installAt } from './types.js';

/** Try each language's recognizer on `dir`; the first that knows it wins. */
async function detectAny(
  view: HostView,
  dir: string,
  languages: readonly Language[] = LANGUAGES,
): Promise<Pick<HostInstall, 'language' | 'version' | 'command'> | undefined> {
  for (const language of languages) {
    const d = await RULES[language].detect(view, dir);
    if (d) return { language, ...d };
  }
  return undefined;
}

/** Add the install in `dir` unless it is already known (then only `via` grows). */
async function addDir(
  view: HostView,
  all: HostInstall[],
  dir: string,
  source: InstallSource,
  via: string[],
  languages?: readonly Language[],
): Promise<void> {
  const where = (await view.resolve(dir)) ?? dir;
  const known = all.find((i) => i.where === where);
  if (known) {
    known.via.push(...via.filter((v) => !known.via.includes(v)));
    return;
  }
  const d = await detectAny(view, where, languages);
  if (d) all.push({ ...d, source, where, via });
}

async function subdirs(view: HostView, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await view.list(dir)) {
    if (name.startsWith('.')) continue;
    const p = path.posix.join(dir, name);
    if ((await view.kind(p)) === 'dir') out.push(p);
  }
  return out;
}

export async function scanJvmDir(view: HostView, all: HostInstall[]): Promise<void> {
  for (const dir of await subdirs(view, '/usr/lib/jvm'))
    await addDir(view, all, dir, 'jvm-dir', [], ['java']);
}

/** Interpreters in /usr/local/bin: each belongs to the prefix two levels above where it resolves to. */
export async function scanUsrLocal(view: HostView, all: HostInstall[], notes: string[]): Promise<void> {
  for (const name of await view.list('/usr/local/bin')) {
    const lang = languageOfCommand(name);
    if (!lang) continue;
    const link = `/usr/local/bin/${name}`;
    const real = await view.resolve(link);
    if (real === undefined || (await view.kind(real)) !== 'file') continue;
    const owner = installAt(all, real);
    if (owner) {
      if (!owner.via.includes(link)) owner.via.push(link);
      continue;
    }
    const prefix = path.posix.dirname(path.posix.dirname(real));
    const pyName = path.posix.basename(real);
    if (prefix === '/usr/local' && lang.language === 'python' && /^python[23]\.[0-9]+$/.test(pyName)) {
      // Each `make altinstall` into /usr/local is an install of its own, sharing the prefix.
      const d = await pythonIn(view, prefix, pyName);
      if (d) all.push({ language: 'python', ...d, source: 'usr-local', where: d.command, via: [link] });
      continue;
    }
    const before = all.length;
    await addDir(view, all, prefix, 'usr-local', [link], [lang.language]);
    if (all.length === before && !installAt(all, real))
      notes.push(`${link}: a ${lang.language} interpreter whose version jrt cannot read from ${prefix}`);
  }
  await addDir(view, all, '/usr/local/go', 'usr-local', [], ['go']);
}

/** Trees one or two levels below /opt. */
export async function scanOpt(view: HostView, all: HostInstall[]): Promise<void> {
  for (const dir of await subdirs(view, '/opt')) {
    const before = all.length;
    await addDir(view, all, dir, 'opt', []);
    if (all.length > before || all.some((i) => i.where === dir)) continue;
    for (const sub of await subdirs(view, dir)) await addDir(view, all, sub, 'opt', []);
  }
}
