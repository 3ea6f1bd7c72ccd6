/**
 * Attacks through what a job may touch on the host — its working directory, the files it leaves
 * there, its uid — and the operator's own directories (issue 9, items 1, 4 and 8). Root: namespaces,
 * mounts, idmapped mounts, cgroups. The fixture runtime's /usr is the host's, read-only.
 */

import { readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_UID_BASE, JOB_UID_COUNT } from '../../src/runner/job-uid.js';
import { addHostRuntime } from '../fixtures/runtimes/host-runtime.js';
import { type JrtHome, jrtExec, makeJrtHome, requireRoot } from '../helpers/jrt.js';
import { pidsWithMarker, startJob } from './processes.js';

let t: JrtHome;
const RT = '--runtime=host:12';

beforeAll(async () => {
  requireRoot();
  t = await makeJrtHome({ prefix: 'jrt-wd-' });
  await addHostRuntime(t, { name: 'host-12', language: 'host', version: '12.1' });
});
afterAll(async () => {
  await t?.dispose();
});

/** A fresh directory below the test home, with `mode`. */
async function dir(name: string, mode = 0o755): Promise<string> {
  const d = path.join(t.home, name);
  await mkdir(d, { recursive: true, mode });
  return d;
}

/** A uid as a job: in jrt's range, not root, not nobody. */
function isJobUid(uid: number): boolean {
  return uid >= JOB_UID_BASE && uid < JOB_UID_BASE + JOB_UID_COUNT;
}

describe('item 1: the working directory cannot be turned into the host', () => {
  it('a symlink a job planted (sub -> /) is refused, by --workdir and by cd, naming it', async () => {
    const w = await dir('plant');
    const r = await jrtExec(t, [RT, '--workdir', w, '--', 'ln', '-s', '/', '/work/sub']);
    expect(r.stderr).toBe('');
    const sub = path.join(w, 'sub');
    const viaFlag = await jrtExec(t, [RT, '--workdir', sub, '--', 'sh', '-c', 'ls /work/etc/shadow']);
    expect(viaFlag.exitCode).toBe(2);
    expect(viaFlag.stderr).toContain(`--workdir ${sub}: ${sub} is a symbolic link (to /)`);
    expect(viaFlag.stdout).toBe('');
    // `cd sub && jrt exec`: the shell's $PWD names the symlink; the process is in /.
    const viaCd = await jrtExec(t, [RT, '--', 'ls', '/work/etc/shadow'], { cwd: sub, env: { PWD: sub } });
    expect(viaCd.exitCode).toBe(2);
    expect(viaCd.stderr).toContain('is a symbolic link');
  });

  it.each([
    ['/', "it is the host's root"],
    ['/proc', "it is the host's /proc"],
    ['/etc', "it is the host's /etc"],
    ['/usr/lib', "it is inside the host's /usr"],
    ['/run', "it is the host's /run"],
  ])('--workdir %s is a usage error: %s', async (workdir, why) => {
    const r = await jrtExec(t, [RT, '--workdir', workdir, '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`--workdir ${workdir} cannot be a job's working directory: ${why}`);
  });

  it("root's home, a shared root and a sticky world-writable directory are refused", async () => {
    const sticky = await dir('sticky', 0o1777);
    await chmod(sticky, 0o1777);
    for (const [workdir, why] of [
      ['/root', "it is the host's /root, which holds others' files"],
      ['/var/spool', "it is the host's /var/spool"],
      [sticky, 'is sticky and world-writable (mode 1777)'],
    ] as const) {
      const r = await jrtExec(t, [RT, '--workdir', workdir, '--', 'true']);
      expect(r.exitCode, workdir).toBe(2);
      expect(r.stderr, workdir).toContain(why);
    }
  });

  it('a jrt started in / (cron, a unit) does not bind / by default', async () => {
    const r = await jrtExec(t, [RT, '--', 'true'], { cwd: '/', env: { PWD: '/' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("the current directory / cannot be a job's working directory");
  });

  it("jrt's own directories and their parents are refused", async () => {
    for (const d of [t.state, path.join(t.root, 'host'), t.log, t.home]) {
      const r = await jrtExec(t, [RT, '--workdir', d, '--', 'true']);
      expect(r.exitCode, d).toBe(2);
      expect(r.stderr, d).toMatch(/ERR_JRT_WORKDIR_REFUSED|cannot be a job's working directory/);
    }
  });

  it('a job swapping its directory for a symlink to / while jrt starts never gets the host', async () => {
    // World-writable, so that the attack is possible for jrt 0.2.0's shared job user too.
    const w = await dir('race', 0o777);
    await chmod(w, 0o777);
    await mkdir(path.join(w, 'd'), { mode: 0o777 });
    await writeFile(path.join(w, 'd', 'mine'), 'job-file\n');
    // The attacker is a job itself: in its own working directory it swaps d for d -> / and back.
    const swap = [
      'import os, time',
      'end = time.time() + 30',
      'print("swapping", flush=True)',
      'while time.time() < end and not os.path.exists("/work/stop"):',
      '    os.rename("d", "d.real"); os.symlink("/", "d")',
      '    os.unlink("d"); os.rename("d.real", "d")',
    ].join('\n');
    const attacker = startJob(t, [RT, '--workdir', w, '--', 'python3', '-c', swap]);
    await attacker.waitFor('swapping');
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const r = await jrtExec(t, [
          RT,
          '--workdir',
          path.join(w, 'd'),
          '--',
          'sh',
          '-c',
          'test -e /work/etc/passwd && echo HOST-ROOT; test -e /work/mine && echo own-dir',
        ]);
        outcomes.push(
          r.stdout.includes('HOST-ROOT')
            ? 'host'
            : r.stdout.includes('own-dir')
              ? 'ran'
              : `refused ${r.exitCode}`,
        );
      }
    } finally {
      await writeFile(path.join(w, 'stop'), '');
      await attacker.done;
    }
    expect(outcomes).not.toContain('host');
    // Every try either ran in the real directory or was refused as a usage error or a changed directory.
    for (const o of outcomes) expect(['ran', 'refused 2', 'refused 125']).toContain(o);
  });
});

describe("item 8: jobs work from the caller's own directories", () => {
  it("from a 0700 directory of root: reads and writes it, makes root's files, reads nothing else of root's", async () => {
    const home = await dir('roothome', 0o700);
    const project = path.join(home, 'project');
    await mkdir(project, { mode: 0o700 });
    await writeFile(path.join(home, 'secret'), 'root-secret\n', { mode: 0o600 });
    await writeFile(path.join(project, 'Main.sh'), 'echo compiled > Main.class\n');
    const r = await jrtExec(
      t,
      [RT, '--', 'sh', '-c', 'sh Main.sh && echo result > out.txt && cat ../secret 2>&1; ls /'],
      { cwd: project, env: { PWD: project } },
    );
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('root-secret');
    for (const f of ['Main.class', 'out.txt']) {
      expect(statSync(path.join(project, f)), f).toMatchObject({ uid: 0, gid: 0 });
    }
    expect(await readFile(path.join(project, 'out.txt'), 'utf8')).toBe('result\n');
  });

  it('from a 0700 home of uid 1000 (sudo jrt exec): what the job makes belongs to 1000', async () => {
    const home = await dir('home1000', 0o700);
    const project = path.join(home, 'project');
    await mkdir(project, { mode: 0o755 });
    await writeFile(path.join(home, '.ssh-key'), 'user-key\n', { mode: 0o600 });
    await chown(home, 1000, 1000);
    await chown(project, 1000, 1000);
    await chown(path.join(home, '.ssh-key'), 1000, 1000);
    const r = await jrtExec(
      t,
      [RT, '--', 'sh', '-c', 'echo x > out.txt; mkdir build; cat ../.ssh-key 2>&1'],
      {
        cwd: project,
        env: { PWD: project, SUDO_UID: '1000', SUDO_GID: '1000', SUDO_USER: 'user' },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('user-key');
    for (const f of ['out.txt', 'build']) {
      expect(statSync(path.join(project, f)), f).toMatchObject({ uid: 1000, gid: 1000 });
    }
  });

  it('a job cannot make a set-user-ID file in the directory it shares with its owner', async () => {
    const w = await dir('setid', 0o700);
    const r = await jrtExec(t, [
      RT,
      '--workdir',
      w,
      '--',
      'python3',
      '-c',
      [
        'import os',
        'open("a", "w").close()',
        'for how, call in [("chmod", lambda: os.chmod("a", 0o4755)), ("setgid", lambda: os.chmod("a", 0o2755)),',
        '                  ("create", lambda: os.close(os.open("b", os.O_CREAT | os.O_WRONLY, 0o4755)))]:',
        '    try:',
        '        call(); print(how, "allowed")',
        '    except PermissionError:',
        '        print(how, "refused")',
      ].join('\n'),
    ]);
    expect(r.stdout).toBe('chmod refused\nsetgid refused\ncreate refused\n');
    expect(statSync(path.join(w, 'a')).mode & 0o6000).toBe(0);
  });
});

describe('item 4: every running job has a uid of its own', () => {
  it('two jobs at once: different uids, neither root nor nobody, as ps on the host shows them', async () => {
    const marker = `jrt-uid-${process.pid}`;
    const w1 = await dir('uid1');
    const w2 = await dir('uid2');
    const script = `id -u; echo ready; exec sleep 30 # ${marker}`;
    const a = startJob(t, [RT, '--workdir', w1, '--', 'sh', '-c', script]);
    const b = startJob(t, [RT, '--workdir', w2, '--', 'sh', '-c', script]);
    try {
      await Promise.all([a.waitFor('ready'), b.waitFor('ready')]);
      const uids = new Set<number>();
      for (const pid of pidsWithMarker(marker)) {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes('jrt.cjs')) continue; // jrt itself, not the job
        const uid = Number(/^Uid:\t(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
        expect(isJobUid(uid), `pid ${pid} runs as uid ${uid}: ${cmdline}`).toBe(true);
        uids.add(uid);
      }
      expect(uids.size).toBe(2);
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.done, b.done]);
    }
  });

  it("a job holding every inotify instance a user may have does not starve another job's", async () => {
    const max = Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'));
    const w1 = await dir('inotify1');
    const w2 = await dir('inotify2');
    const hog = [
      'import ctypes, time',
      'libc = ctypes.CDLL(None, use_errno=True)',
      `fds = [libc.inotify_init() for _ in range(${max})]`,
      'print("held", sum(1 for f in fds if f >= 0), flush=True)',
      'time.sleep(30)',
    ].join('\n');
    const a = startJob(t, [RT, '--workdir', w1, '--', 'python3', '-c', hog]);
    try {
      await a.waitFor('held');
      const r = await jrtExec(t, [
        RT,
        '--workdir',
        w2,
        '--',
        'python3',
        '-c',
        'import ctypes; print("inotify", ctypes.CDLL(None).inotify_init() >= 0)',
      ]);
      expect(r.stdout).toBe('inotify True\n');
    } finally {
      a.child.kill('SIGTERM');
      await a.done;
    }
  });

  it('gives the uid back when the job ends', async () => {
    const w = await dir('uidback');
    await rm(path.join(t.state, 'uids'), { recursive: true, force: true });
    const r = await jrtExec(t, [RT, '--workdir', w, '--', 'id', '-u']);
    expect(isJobUid(Number(r.stdout))).toBe(true);
    expect(await readdir(path.join(t.state, 'uids'))).toEqual([]);
  });
});

describe('volumes and caches through the idmap helper', () => {
  it("two volumes and the working directory at once, each the job's and each its own", async () => {
    const w = await dir('twovols', 0o700);
    const r = await jrtExec(t, [
      RT,
      '--workdir',
      w,
      '--volume',
      'va:/va',
      '--volume',
      'vb:/vb',
      '--',
      'sh',
      '-c',
      'echo a > /va/f && echo b > /vb/f && echo w > /work/f && cat /va/f /vb/f /work/f',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a\nb\nw\n');
    expect(await readFile(path.join(t.state, 'volumes', 'vb', 'f'), 'utf8')).toBe('b\n');
  });
});

describe('symlinks left in the working directory', () => {
  it('an --env-from a job planted as a symlink to a root-only file, or as a FIFO, is refused', async () => {
    const w = await dir('envlink', 0o700);
    const secret = path.join(t.home, 'root-only.env');
    await writeFile(secret, 'ROOTSECRET=leak\n', { mode: 0o600 });
    await jrtExec(t, [RT, '--workdir', w, '--', 'sh', '-c', `ln -s ${secret} .env; mkfifo fifo.env`]);
    const link = await jrtExec(t, [
      RT,
      '--workdir',
      w,
      '--env-from',
      path.join(w, '.env'),
      '--',
      'sh',
      '-c',
      'echo "$ROOTSECRET"',
    ]);
    expect(link.exitCode).toBe(2);
    expect(link.stderr).toContain(`is reached through a symbolic link (it is ${secret})`);
    expect(link.stdout).not.toContain('leak');
    const fifo = await jrtExec(t, [RT, '--workdir', w, '--env-from', path.join(w, 'fifo.env'), '--', 'true']);
    expect(fifo.exitCode).toBe(2);
    expect(fifo.stderr).toContain('not a regular file');
  });

  it('a job file named through a symlink the job planted is refused', async () => {
    const w = await dir('filelink');
    const other = await dir('otherdir');
    await symlink('/etc/shadow', path.join(other, 'job.py'));
    const r = await jrtExec(t, [RT, '--workdir', w, path.join(other, 'job.py')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is reached through a symbolic link (it is /etc/shadow)');
  });
});
