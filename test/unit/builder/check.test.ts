import { mkdtemp, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRuntime, checkTree, expandOrigin, searchPath } from '../../../src/builder/check.js';
import { EM, ET } from '../../../src/builder/elf.js';
import { JrtError } from '../../../src/core/errors.js';
import type { ProgressEvent } from '../../../src/core/progress.js';
import { type FakeEntry, writeTree } from '../../fixtures/closure/fake-root.js';
import { makeElf } from '../../fixtures/closure/make-elf.js';

const LD = '/lib64/ld-linux-x86-64.so.2';
const lib = (soname: string, needed: string[] = [], extra: Parameters<typeof makeElf>[0] = {}) =>
  makeElf({ type: ET.DYN, soname, needed, ...extra });
const exe = (needed: string[], extra: Parameters<typeof makeElf>[0] = {}) =>
  ({ content: makeElf({ type: ET.DYN, interp: LD, needed, ...extra }), mode: 0o755 }) as FakeEntry;

/** A minimal merged-usr tree with a loader and libc. */
const BASE: Record<string, FakeEntry> = {
  '/lib': { link: 'usr/lib' },
  '/lib64': { link: 'usr/lib64' },
  '/bin': { link: 'usr/bin' },
  '/usr/lib64/ld-linux-x86-64.so.2': { link: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
  '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2': lib('ld-linux-x86-64.so.2'),
  '/usr/lib/x86_64-linux-gnu/libc.so.6': lib('libc.so.6', ['ld-linux-x86-64.so.2']),
};

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tree(extra: Record<string, FakeEntry>): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'jrt-check-'));
  dirs.push(d);
  const t = path.join(d, 'rootfs');
  await writeTree(t, { ...BASE, ...extra });
  return t;
}
async function failureOf(p: Promise<unknown>): Promise<JrtError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JrtError) return e;
    throw e;
  }
  throw new Error('expected a JrtError');
}

describe('checkRuntime', () => {
  it('passes when every NEEDED and the interpreter resolve inside the tree', async () => {
    const t = await tree({
      '/usr/bin/app': exe(['libfoo.so.1', 'libc.so.6']),
      '/usr/lib/x86_64-linux-gnu/libfoo.so.1': { link: 'libfoo.so.1.2.3' },
      '/usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3': lib('libfoo.so.1', ['libc.so.6']),
      '/usr/share/x/readme.txt': 'not an elf at all, long enough to be read as a header candidate....',
    });
    const r = await checkRuntime(t);
    expect(r.checked).toBe(4);
    expect(r.missing).toEqual([]);
  });

  it('names every file and missing library at once, with the searched dirs', async () => {
    const t = await tree({
      '/usr/bin/app': exe(['libbar.so.1', 'libc.so.6']),
      '/usr/lib/x86_64-linux-gnu/libq.so.2': lib('libq.so.2', ['libgone.so.7']),
    });
    const err = await failureOf(checkRuntime(t));
    expect(err.code).toBe('ERR_JRT_CLOSURE_MISSING_LIB');
    expect(err.message).toContain(
      'rootfs/usr/bin/app: needs libbar.so.1, not found in the runtime (searched: /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /lib, /usr/lib)',
    );
    expect(err.message).toContain('rootfs/usr/lib/x86_64-linux-gnu/libq.so.2: needs libgone.so.7');
  });

  it('follows RUNPATH with $ORIGIN, and the tree own ld.so.conf includes', async () => {
    const t = await tree({
      '/usr/lib/app/bin/app': exe(['libin.so', 'libconf.so.1', 'libc.so.6'], { runpath: '$ORIGIN/../lib' }),
      '/usr/lib/app/lib/libin.so': lib('libin.so'),
      '/etc/ld.so.conf': 'include /etc/ld.so.conf.d/*.conf\n',
      '/etc/ld.so.conf.d/extra.conf': '# extra\n/opt/extra/lib\n',
      '/etc/ld.so.conf.d/ignored.txt': '/nowhere\n',
      '/opt/extra/lib/libconf.so.1': lib('libconf.so.1'),
    });
    expect((await checkRuntime(t)).missing).toEqual([]);
    await unlink(path.join(t, 'etc/ld.so.conf.d/extra.conf'));
    expect((await failureOf(checkRuntime(t))).message).toContain('needs libconf.so.1');
  });

  it('skips a library of the wrong ELF class, as the loader does', async () => {
    const t = await tree({
      '/usr/bin/app': exe(['libw.so.1']),
      '/usr/lib/x86_64-linux-gnu/libw.so.1': makeElf({ cls: 32, machine: EM.X86_64, soname: 'libw.so.1' }),
    });
    expect((await failureOf(checkRuntime(t))).message).toContain('rootfs/usr/bin/app: needs libw.so.1');
  });

  it('accepts a library NEEDED by a shared object when its SONAME lives beneath the object (libjvm.so), never for programs', async () => {
    const jre = '/usr/lib/jvm/jre';
    const t = await tree({
      [`${jre}/lib/libjava.so`]: lib('libjava.so', ['libjvm.so', 'libc.so.6'], { rpath: '$ORIGIN' }),
      [`${jre}/lib/server/libjvm.so`]: lib('libjvm.so', ['libc.so.6']),
    });
    const r = await checkRuntime(t);
    expect(r.hostProvided).toEqual([
      `rootfs${jre}/lib/libjava.so: libjvm.so is provided by rootfs${jre}/lib/server/libjvm.so once loaded`,
    ]);
    const t2 = await tree({
      [`${jre}/lib/libjava.so`]: lib('libjava.so', ['libjvm.so']),
      [`${jre}/lib/server/libjvm.so`]: lib('libjvm.so'),
      [`${jre}/lib/tool`]: exe(['libjvm.so']),
      '/usr/lib/other/libx.so': lib('libx.so', ['libjvm.so']),
    });
    const msg = (await failureOf(checkRuntime(t2))).message;
    expect(msg).toContain(`rootfs${jre}/lib/tool: needs libjvm.so`);
    expect(msg).toContain('rootfs/usr/lib/other/libx.so: needs libjvm.so');
    expect(msg).not.toContain('libjava.so: needs');
  });

  it('a NEEDED with a slash is a path: absolute ones must be in the tree, relative ones cannot be promised', async () => {
    const t = await tree({
      '/usr/bin/abs': exe(['/usr/lib/private/libp.so', '/usr/lib/private/libgone.so']),
      '/usr/lib/private/libp.so': lib('libp.so'),
      '/usr/bin/rel': exe(['lib/librel.so']),
      '/usr/bin/lib/librel.so': lib('librel.so'),
    });
    const msg = (await failureOf(checkRuntime(t))).message;
    expect(msg).toContain('rootfs/usr/bin/abs: needs /usr/lib/private/libgone.so');
    expect(msg).not.toContain('needs /usr/lib/private/libp.so');
    expect(msg).toContain('rootfs/usr/bin/rel: needs lib/librel.so');
  });

  it('fails when the interpreter is missing', async () => {
    const t = await tree({ '/usr/bin/app': exe(['libc.so.6'], { interp: '/lib/ld-musl-x86_64.so.1' }) });
    expect((await failureOf(checkRuntime(t))).message).toContain(
      'rootfs/usr/bin/app: its interpreter /lib/ld-musl-x86_64.so.1 is not in the runtime',
    );
  });

  it('resolves through the tree own symlinks, never the host: a NEEDED found only on the host fails', async () => {
    // libselinux.so.1 exists on the host in /lib/x86_64-linux-gnu, not in this tree.
    const t = await tree({ '/usr/bin/app': exe(['libselinux.so.1']) });
    expect((await failureOf(checkRuntime(t))).message).toContain('needs libselinux.so.1');
  });

  it('reports escaping links: absolute ones whose target is not in the tree and relative ones that climb out', async () => {
    const t = await tree({
      '/usr/bin/ok': { link: '/usr/lib/x86_64-linux-gnu/libc.so.6' },
      '/etc/mtab': { link: '/proc/self/mounts' },
      '/usr/bin/host': { link: '/etc/shadow' },
      '/usr/up': { link: '../../outside' },
    });
    const err = await failureOf(checkRuntime(t));
    expect(err.code).toBe('ERR_JRT_CLOSURE_ESCAPING_LINK');
    expect(err.message).toContain('rootfs/usr/bin/host -> /etc/shadow: points outside the runtime');
    expect(err.message).toContain('rootfs/usr/up -> ../../outside: climbs out of the runtime');
    expect(err.message).not.toContain('mtab');
    expect(err.message).not.toContain('/usr/bin/ok');
  });

  it('warns about ELF files of another machine and does not check them; skips .o and debug files', async () => {
    const t = await tree({
      '/usr/lib/arm/libarm.so': makeElf({ machine: EM.AARCH64, needed: ['libnothere.so'] }),
      '/usr/lib/x/obj.o': makeElf({ type: ET.REL, needed: ['libnothere.so'] }),
      '/usr/lib/debug/.build-id/aa/bb.debug': makeElf({ needed: ['libnothere.so'] }),
    });
    const r = await checkTree(t);
    expect(r.missing).toEqual([]);
    expect(r.warnings).toEqual(['rootfs/usr/lib/arm/libarm.so: ELF for machine 183, not 62; not checked']);
    const events: ProgressEvent[] = [];
    await checkRuntime(t, { onProgress: (e) => events.push(e) });
    expect(events).toEqual([{ type: 'warn', task: 'check', message: r.warnings[0] }]);
  });
});

describe('search path pieces', () => {
  it('expandOrigin handles both spellings', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the loader's own ${ORIGIN} syntax
    expect(expandOrigin('$ORIGIN/../lib:${ORIGIN}', '/a/b')).toBe('/a/b/../lib:/a/b');
  });
  it('RUNPATH replaces RPATH; conf dirs come before the defaults', () => {
    const elf = {
      class: 64 as const,
      type: 3,
      machine: 62,
      needed: [],
      rpath: ['/r'],
      runpath: ['/rp'],
      dynamic: true,
    };
    expect(searchPath(elf, '/o', ['/conf'], 62)).toEqual([
      '/rp',
      '/conf',
      '/lib/x86_64-linux-gnu',
      '/usr/lib/x86_64-linux-gnu',
      '/lib64',
      '/lib',
      '/usr/lib',
    ]);
    expect(searchPath({ ...elf, runpath: [] }, '/o', [], 62)[0]).toBe('/r');
  });
});
