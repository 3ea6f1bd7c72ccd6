/**
 * Prove a runtime tree self-contained: every ELF file's interpreter and DT_NEEDED libraries resolve
 * inside the tree the way the dynamic loader would search for them, and no symlink leads out of it.
 * The rule for libraries a host program loads first (libjvm.so) is in docs/closure.md.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { failure } from '../core/errors.js';
import type { OnProgress } from '../core/progress.js';
import { walkTree } from '../core/tree-walk.js';
import { type ElfInfo, EM, ET, isElf, parseElf } from './elf.js';
import { relativeLinkEscapes, resolveInRoot } from './root-path.js';

const TRIPLET: Record<number, string> = {
  [EM.X86_64]: 'x86_64-linux-gnu',
  [EM.AARCH64]: 'aarch64-linux-gnu',
  [EM.X86]: 'i386-linux-gnu',
  [EM.ARM]: 'arm-linux-gnueabihf',
  [EM.RISCV]: 'riscv64-linux-gnu',
};
const MACHINE_BY_NODE: Record<string, number> = {
  x64: EM.X86_64,
  arm64: EM.AARCH64,
  ia32: EM.X86,
  arm: EM.ARM,
};
/** Absolute link targets the sandbox itself provides. */
const SANDBOX_DIRS = ['/proc', '/dev', '/sys', '/run', '/tmp'];

export function defaultLibDirs(machine: number): string[] {
  const t = TRIPLET[machine] ?? 'x86_64-linux-gnu';
  return [`/lib/${t}`, `/usr/lib/${t}`, '/lib64', '/lib', '/usr/lib'];
}

export interface CheckOptions {
  /** e_machine the runtime is for (default: this host's). Other machines' ELF files are skipped with a warning. */
  machine?: number;
  /** Receives the report's warnings as `warn` events (task `check`). */
  onProgress?: OnProgress;
}

export interface CheckReport {
  /** ELF files whose dependencies were checked. */
  checked: number;
  missing: string[];
  escaping: string[];
  warnings: string[];
  /** NEEDED entries accepted because a library the host program loads first provides that SONAME. */
  hostProvided: string[];
}

/** Expand `$ORIGIN`/`${ORIGIN}` in an RPATH/RUNPATH entry. */
export function expandOrigin(dir: string, origin: string): string {
  return dir.replace(/\$(\{ORIGIN\}|ORIGIN)/g, origin);
}

/** The search order of glibc's loader for one object's NEEDED (no LD_LIBRARY_PATH, no inherited RPATH). */
export function searchPath(elf: ElfInfo, origin: string, confDirs: string[], machine: number): string[] {
  const own = elf.runpath.length > 0 ? elf.runpath : elf.rpath;
  const dirs = [...own.map((d) => expandOrigin(d, origin)), ...confDirs, ...defaultLibDirs(machine)];
  return [...new Set(dirs)];
}

/** Directories named by the tree's /etc/ld.so.conf and its `include`d files. */
export async function readLdSoConf(tree: string): Promise<string[]> {
  const dirs: string[] = [];
  const seen = new Set<string>();
  const readConf = async (file: string): Promise<void> => {
    const r = await resolveInRoot(tree, file);
    if (!r.exists || seen.has(r.path)) return;
    seen.add(r.path);
    let text: string;
    try {
      text = await readFile(path.join(tree, r.path), 'utf8');
    } catch {
      return;
    }
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '' || line.startsWith('hwcap')) continue;
      if (line.startsWith('include')) {
        for (const pattern of line.slice('include'.length).trim().split(/\s+/)) {
          for (const f of await globInTree(tree, path.posix.resolve('/etc', pattern))) await readConf(f);
        }
      } else dirs.push(...line.split(/[:,\s]+/).filter((d) => d.startsWith('/')));
    }
  };
  await readConf('/etc/ld.so.conf');
  return dirs;
}

/** A `dir/*.conf`-style glob (wildcards in the last component only), resolved inside the tree. */
async function globInTree(tree: string, pattern: string): Promise<string[]> {
  const dir = path.posix.dirname(pattern);
  const base = path.posix.basename(pattern);
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  const r = await resolveInRoot(tree, dir);
  if (!r.exists) return [];
  const { readdir } = await import('node:fs/promises');
  const names = await readdir(path.join(tree, r.path)).catch(() => [] as string[]);
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => path.posix.join(r.path, n));
}

function skipByName(p: string): boolean {
  return p.startsWith('/usr/lib/debug/') || /\.(o|ko|debug)$/.test(p);
}

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function checkTree(tree: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const machine = opts.machine ?? MACHINE_BY_NODE[process.arch] ?? EM.X86_64;
  const label = (p: string) => `${path.basename(tree)}${p}`;
  const report: CheckReport = { checked: 0, missing: [], escaping: [], warnings: [], hostProvided: [] };
  const entries = await walkTree(tree);

  for (const e of entries) {
    if (e.type !== 'symlink' || e.target === undefined) continue;
    if (relativeLinkEscapes(e.path, e.target)) {
      report.escaping.push(`${label(e.path)} -> ${e.target}: climbs out of the runtime`);
    } else if (
      e.target.startsWith('/') &&
      !SANDBOX_DIRS.some((d) => e.target === d || e.target!.startsWith(`${d}/`))
    ) {
      if (!(await resolveInRoot(tree, e.path)).exists) {
        report.escaping.push(
          `${label(e.path)} -> ${e.target}: points outside the runtime (target not in the tree)`,
        );
      }
    }
  }

  const elves = new Map<string, ElfInfo>();
  for (const e of entries) {
    if (e.type !== 'file' || e.size < 52 || skipByName(e.path)) continue;
    const host = path.join(tree, e.path);
    if (!isElf(await readHead(host, 4))) continue;
    const parsed = parseElf(await readFile(host));
    if (!parsed.ok) {
      report.warnings.push(`${label(e.path)}: unreadable ELF (${parsed.error}), not checked`);
      continue;
    }
    if (parsed.elf.type !== ET.EXEC && parsed.elf.type !== ET.DYN) continue;
    if (parsed.elf.machine !== machine) {
      report.warnings.push(
        `${label(e.path)}: ELF for machine ${parsed.elf.machine}, not ${machine}; not checked`,
      );
      continue;
    }
    elves.set(e.path, parsed.elf);
  }

  const confDirs = await readLdSoConf(tree);
  const sonames = new Map<string, string[]>();
  for (const [p, elf] of elves) {
    if (elf.soname) sonames.set(elf.soname, [...(sonames.get(elf.soname) ?? []), p]);
  }
  const found = new Map<string, boolean>();
  const resolveLib = async (dir: string, name: string, cls: number): Promise<boolean> => {
    const key = `${dir}\0${name}\0${cls}`;
    const cached = found.get(key);
    if (cached !== undefined) return cached;
    const r = await resolveInRoot(tree, path.posix.join(dir, name));
    // The loader passes over a library of the wrong class or machine and keeps searching.
    const elf = r.exists ? elves.get(r.path) : undefined;
    const ok = elf !== undefined && elf.class === cls;
    found.set(key, ok);
    return ok;
  };

  for (const [p, elf] of elves) {
    report.checked++;
    if (elf.interp !== undefined && !(await resolveInRoot(tree, elf.interp)).exists) {
      report.missing.push(`${label(p)}: its interpreter ${elf.interp} is not in the runtime`);
    }
    const origin = path.posix.dirname(p);
    const dirs = searchPath(elf, origin, confDirs, machine);
    for (const name of elf.needed) {
      let ok = false;
      // A NEEDED with a slash is opened as a path (a relative one against the job's working
      // directory, which the runtime cannot promise): only an absolute one inside the tree counts.
      if (name.includes('/')) ok = name.startsWith('/') && (await resolveInRoot(tree, name)).exists;
      else {
        for (const d of dirs) {
          ok = await resolveLib(d, name, elf.class);
          if (ok) break;
        }
      }
      if (ok) continue;
      // A library (not a program) may need one its host program has loaded already: the loader
      // matches it by SONAME. Accepted only when that SONAME is in the library's own directory tree.
      const provider =
        elf.interp === undefined ? sonames.get(name)?.find((s) => s.startsWith(`${origin}/`)) : undefined;
      if (provider) {
        report.hostProvided.push(`${label(p)}: ${name} is provided by ${label(provider)} once loaded`);
        continue;
      }
      report.missing.push(
        `${label(p)}: needs ${name}, not found in the runtime (searched: ${dirs.join(', ')})`,
      );
    }
  }
  return report;
}

/** Throw a failure naming every missing library and escaping link at once; return the report otherwise. */
export async function checkRuntime(tree: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const report = await checkTree(tree, opts);
  for (const message of report.warnings) opts.onProgress?.({ type: 'warn', task: 'check', message });
  const problems = [...report.missing, ...report.escaping];
  if (problems.length > 0) {
    throw failure(
      report.missing.length > 0 ? 'ERR_JRT_CLOSURE_MISSING_LIB' : 'ERR_JRT_CLOSURE_ESCAPING_LINK',
      `the runtime is not self-contained (${problems.length} problems):\n  ${problems.join('\n  ')}`,
      {
        hint: 'add the package that provides the library to runtime.packages (or take it out of runtime.exclude)',
      },
    );
  }
  return report;
}
