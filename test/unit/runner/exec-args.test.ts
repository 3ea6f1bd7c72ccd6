import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExecArgs } from '../../../src/commands/exec.js';
import { lookupCommand } from '../../../src/runner/lookup.js';
import type { SandboxMount } from '../../../src/runner/plan.js';

const parse = (argv: string[]) => parseExecArgs(argv, '/cwd', 2);

describe('parseExecArgs', () => {
  it('FILE ARGS: arguments after the file belong to the job, even ones that look like flags', () => {
    const r = parse(['--runtime=java:17', '--memory', '512m', 'Main.java', '--verbose', '-x']);
    expect(r).toMatchObject({
      runtimeSpec: 'java:17',
      file: 'Main.java',
      args: ['--verbose', '-x'],
      workdir: undefined,
      cwd: '/cwd',
      uid: undefined,
      gid: undefined,
      network: 'none',
      limits: { memoryBytes: 512 * 1024 ** 2 },
    });
  });

  it('-- COMMAND ARGS with every flag', () => {
    const r = parse([
      '--runtime',
      'python:3.11+ml',
      '--workdir=/w',
      '--volume',
      'data:/data',
      '--env',
      'A=1=2',
      '--env=B=',
      '--package-cache',
      '--network=host',
      '--user',
      '1000:100',
      '--cpus',
      '1.5',
      '--cpuset',
      '0-1',
      '--pids',
      '100',
      '--timeout',
      '30s',
      '--',
      'python3',
      '-c',
      'print(1)',
    ]);
    expect(r).toMatchObject({
      runtimeSpec: 'python:3.11+ml',
      workdir: '/w',
      file: undefined,
      args: ['python3', '-c', 'print(1)'],
      env: { A: '1=2', B: '' },
      volumes: [{ name: 'data', target: '/data' }],
      packageCache: true,
      network: 'host',
      uid: 1000,
      gid: 100,
      limits: { cpus: 1.5, cpuset: '0-1', pids: 100, timeoutMs: 30_000 },
    });
  });

  it('--allow-net (repeatable) with --network=web; none by default', () => {
    const r = parse([
      '--network=web',
      '--allow-net',
      '10.1.2.3:5432',
      '--allow-net=[fd00::1]:443',
      '--',
      'true',
    ]);
    expect(r.allowNet).toEqual([
      { kind: 'cidr', family: 4, cidr: '10.1.2.3', port: 5432 },
      { kind: 'cidr', family: 6, cidr: 'fd00::1', port: 443 },
    ]);
    expect(parse(['--network=web', '--', 'true']).allowNet).toEqual([]);
  });

  it.each([
    [['--runtime=a;b', '--', 'true'], 'ERR_JRT_BAD_RUNTIME_SPEC'],
    [['--', ''].slice(0, 1), 'ERR_JRT_BAD_JOB'],
    [['a.py', '--', 'true'], 'ERR_JRT_BAD_JOB'],
    [['--network=web2', '--', 'true'], 'ERR_JRT_BAD_NETWORK'],
    [['--user=nobody', '--', 'true'], 'ERR_JRT_BAD_USER'],
    [['--user=0', '--', 'true'], 'ERR_JRT_BAD_USER'],
    [['--user=1000:0', '--', 'true'], 'ERR_JRT_BAD_USER'],
    [['--user=99999999999', '--', 'true'], 'ERR_JRT_BAD_USER'],
    [['--env', 'no-equals', '--', 'true'], 'ERR_JRT_BAD_ENV'],
    [['--env', '1X=2', '--', 'true'], 'ERR_JRT_BAD_ENV'],
    [['--volume', 'data', '--', 'true'], 'ERR_JRT_BAD_VOLUME'],
    [['--volume', '../x:/d', '--', 'true'], 'ERR_JRT_BAD_VOLUME'],
    [['--volume', 'x:/d/../etc', '--', 'true'], 'ERR_JRT_BAD_VOLUME'],
    [['--memory', 'big', '--', 'true'], 'ERR_JRT_BAD_LIMIT'],
    [['--bogus', '--', 'true'], 'ERR_JRT_BAD_FLAG'],
    [['--allow-net', '10.1.2.3', '--', 'true'], 'ERR_JRT_BAD_ALLOW_NET'],
    [['--network=host', '--allow-net', '10.1.2.3', '--', 'true'], 'ERR_JRT_BAD_ALLOW_NET'],
    [['--network=web', '--allow-net', '10.1.2.3:0', '--', 'true'], 'ERR_JRT_BAD_ALLOW_NET'],
  ])('%j → %s (exit 2)', (argv, code) => {
    expect(() => parse(argv)).toThrow(expect.objectContaining({ code, exitCode: 2 }));
  });
});

describe('lookupCommand', () => {
  let base: string;
  let mounts: SandboxMount[];
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'jrt-lookup-'));
    await mkdir(path.join(base, 'usr/bin'), { recursive: true });
    await mkdir(path.join(base, 'alt'), { recursive: true });
    await mkdir(path.join(base, 'work'), { recursive: true });
    await writeFile(path.join(base, 'usr/bin/tool'), '#!/bin/sh\n');
    await chmod(path.join(base, 'usr/bin/tool'), 0o755);
    await writeFile(path.join(base, 'usr/bin/data'), 'x');
    await writeFile(path.join(base, 'alt/real'), '#!/bin/sh\n');
    await chmod(path.join(base, 'alt/real'), 0o755);
    // An absolute symlink, as Debian's alternatives: resolved inside the sandbox's view.
    await symlink('/etc/alternatives/real', path.join(base, 'usr/bin/linked'));
    await symlink('/nowhere', path.join(base, 'usr/bin/dangling'));
    mounts = [
      { kind: 'ro-bind', source: path.join(base, 'usr'), target: '/usr' },
      { kind: 'ro-bind', source: path.join(base, 'alt'), target: '/etc/alternatives' },
      { kind: 'tmpfs', target: '/tmp' },
      { kind: 'bind', source: path.join(base, 'work'), target: '/work' },
    ];
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it.each([
    ['tool', { found: '/usr/bin/tool' }],
    ['linked', { found: '/usr/bin/linked' }],
    ['/usr/bin/tool', { found: '/usr/bin/tool' }],
    ['data', { notExecutable: '/usr/bin/data' }],
    ['bin', { missing: true }],
    ['dangling', { missing: true }],
    ['nope', { missing: true }],
    ['/etc/passwd', { missing: true }],
    ['/tmp/x', { unknown: true }],
  ])('%s', async (command, expected) => {
    expect(await lookupCommand(mounts, command, '/opt/bin:/usr/bin', '/work')).toEqual(expected);
  });
});

describe('--env NAME and --env-from', () => {
  const io = (files: Record<string, string>, env: NodeJS.ProcessEnv = {}) => ({
    env,
    readFile: (f: string) => {
      const text = files[f];
      if (text === undefined) throw new Error(`no ${f}`);
      return text;
    },
  });

  it('takes NAME from jrt’s environment and files line by line; later flags win', () => {
    const r = parseExecArgs(
      ['--env-from', '/a.env', '--env', 'TOKEN', '--env', 'B=flag', '--', 'true'],
      '/cwd',
      2,
      undefined,
      io({ '/a.env': '# c\nA=1\r\n\nB=file\nC=x=y\n' }, { TOKEN: 't0k' }),
    );
    expect(r.env).toEqual({ A: '1', B: 'flag', C: 'x=y', TOKEN: 't0k' });
  });

  it.each([
    [['--env', 'NOPE', '--', 'true'], "--env NOPE: NOPE is not set in jrt's environment"],
    [['--env-from', '/bad.env', '--', 'true'], '--env-from /bad.env:2: expected NAME=VALUE'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseExecArgs(argv, '/cwd', 2, undefined, io({ '/bad.env': 'A=1\nexport B=2\n' }))).toThrow(
      message,
    );
  });
});
