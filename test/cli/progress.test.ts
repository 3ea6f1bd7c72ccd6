/**
 * How `jrt install`/`jrt build` show progress: the choice of renderer (a pure function), plain lines
 * when stderr is a pipe, and listr2 rows with per-phase timings on a real terminal (tmux).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseRenderer, isCI } from '../../src/commands/progress-view.js';
import { BUNDLE, type JrtHome, jrt, makeJrtHome } from '../helpers/jrt.js';
import { makeArtifact as makeArtifactIn } from '../unit/artifact/fixture.js';

/** Temp dirs of this file's tests, removed after each. */
const temps: string[] = [];
afterEach(async () => {
  for (const d of temps.splice(0)) await rm(d, { recursive: true, force: true });
});
async function sandbox(): Promise<JrtHome> {
  const sb = await makeJrtHome({ prefix: 'jrt-progress-' });
  temps.push(sb.home);
  return sb;
}
async function makeArtifact(dir: string): Promise<{ file: string }> {
  const a = await makeArtifactIn(dir);
  temps.push(path.dirname(a.tree));
  return a;
}

describe('chooseRenderer', () => {
  const cases: [string, Parameters<typeof chooseRenderer>[0], ReturnType<typeof chooseRenderer>][] = [
    [
      'a terminal',
      { isTTY: true, ci: false, json: false, noColor: false },
      { renderer: 'listr', color: true },
    ],
    [
      'a terminal with NO_COLOR',
      { isTTY: true, ci: false, json: false, noColor: true },
      { renderer: 'listr', color: false },
    ],
    [
      'a terminal in CI',
      { isTTY: true, ci: true, json: false, noColor: false },
      { renderer: 'lines', color: false },
    ],
    ['a pipe', { isTTY: false, ci: false, json: false, noColor: false }, { renderer: 'lines', color: false }],
    [
      '--json on a terminal',
      { isTTY: true, ci: false, json: true, noColor: false },
      { renderer: 'silent', color: false },
    ],
    [
      '--json in CI',
      { isTTY: false, ci: true, json: true, noColor: true },
      { renderer: 'silent', color: false },
    ],
  ];
  it.each(cases)('%s', (_, input, want) => {
    expect(chooseRenderer(input)).toEqual(want);
  });

  it('reads CI the way CI services set it', () => {
    expect(isCI({ CI: 'true' })).toBe(true);
    expect(isCI({ CI: '1' })).toBe(true);
    expect(isCI({ CI: 'false' })).toBe(false);
    expect(isCI({ CI: '0' })).toBe(false);
    expect(isCI({ CI: '' })).toBe(false);
    expect(isCI({})).toBe(false);
  });
});

describe('progress of jrt install', () => {
  it('is timestamped lines when stderr is a pipe', async () => {
    const sb = await sandbox();
    const { file } = await makeArtifact(sb.home);
    const r = await jrt(sb, ['install', file]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d demo-1: extract done in \d+ ms$/m);
    expect(r.stderr).not.toContain('\u001b[');
  });

  it('is listr2 rows with per-phase timings on a terminal (tmux)', async () => {
    const sb = await sandbox();
    const { file } = await makeArtifact(sb.home);
    const { screen, cursorVisible } = await onTerminal(sb, ['install', file]);
    expect(screen).toMatch(/exit=0/);
    expect(cursorVisible).toBe(true);
    // The task, its phases beneath it, each with its duration; no timestamped lines.
    expect(screen).toMatch(/^✔ demo-1$/m);
    for (const phase of ['read manifest', 'extract', 'switch']) {
      expect(screen).toMatch(new RegExp(`^  ✔ ${phase} \\(\\d+ ms\\)$`, 'm'));
    }
    expect(screen).not.toMatch(/^\d\d:\d\d:\d\d /m);
  });

  it('marks the failed phase on a terminal and prints the reason after the rows', async () => {
    const sb = await sandbox();
    const bad = path.join(sb.home, 'bad-1.jrt.tar.gz');
    await writeFile(bad, 'not a tarball');
    const { screen } = await onTerminal(sb, ['install', bad]);
    expect(screen).toMatch(/exit=1/);
    // listr2 marks a task whose subtask failed with ❯, the failed phase with ✖ and its duration.
    expect(screen).toMatch(/^❯ bad-1\.jrt\.tar\.gz$/m);
    expect(screen).toMatch(/^ {2}✖ read manifest \(\d+ ms\)$/m);
    expect(screen).toMatch(/^ {4}› .*bad-1\.jrt\.tar\.gz is not a valid artifact/m);
    expect(screen).toMatch(/^jrt: /m);
  });

  it('SIGINT (Ctrl-C) while it draws ends jrt (130) and leaves the cursor visible', async () => {
    const sb = await sandbox();
    // Reading the manifest of a FIFO nobody writes to blocks: the phase is still running at Ctrl-C.
    const fifo = path.join(sb.home, 'stuck-1.jrt.tar.gz');
    execFileSync('mkfifo', [fifo]);
    const { screen, cursorVisible } = await onTerminal(sb, ['install', fifo], /read manifest/);
    expect(screen).toMatch(/exit=130/);
    expect(cursorVisible).toBe(true);
  });

  it('jrt build shows the recipe and its phases on a terminal, the failed one marked', async () => {
    const sb = await sandbox();
    // --offline with an empty cache fails in the 'root' phase at once, before anything is built.
    const recipe = path.resolve(import.meta.dirname, '../../recipes/node-18.yml');
    const { screen } = await onTerminal(sb, ['build', recipe, '--offline', '--locked', '--out', sb.home]);
    expect(screen).toMatch(/exit=1/);
    expect(screen).toMatch(/^❯ node-18$/m);
    expect(screen).toMatch(/^ {2}✖ root \(\d+ ms\)$/m);
    expect(screen).toMatch(/^ {4}› --offline: no cached base root/m);
    expect(screen).toMatch(/^jrt: --offline: no cached base root/m);
  });
});

/**
 * Run the bundle in a tmux pane (a real terminal) and return the pane's text once it has ended, and
 * whether the terminal's cursor is visible then. `interrupt`: once the screen matches it, SIGINT jrt.
 */
async function onTerminal(
  sb: JrtHome,
  args: string[],
  interrupt?: RegExp,
): Promise<{ screen: string; cursorVisible: boolean }> {
  if (spawnSync('sh', ['-c', 'command -v tmux']).status !== 0) {
    throw new Error('this test needs tmux (a real terminal for the listr2 renderer): apt-get install tmux');
  }
  // A server of its own, its socket in the test's temp dir (nothing left in /tmp/tmux-*).
  const socket = path.join(sb.home, 'tmux.sock');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const env = Object.entries({ ...sb.env, TERM: 'xterm-256color' })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => q(`${k}=${v}`));
  const command = `env -i ${env.join(' ')} ${[process.execPath, BUNDLE, ...args].map(q).join(' ')}; echo "exit=$?"`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-S', socket, ...a], { encoding: 'utf8' });
  try {
    // The shell stays after jrt ends so that the pane's screen can be read.
    tmux('new-session', '-d', '-x', '120', '-y', '40', 'sh', '-c', `${command}; sleep 600`);
    let screen = '';
    let interrupted = false;
    for (let i = 0; i < 600 && !/exit=\d+/.test(screen); i++) {
      await new Promise((r) => setTimeout(r, 50));
      screen = tmux('capture-pane', '-p', '-J');
      if (interrupt && !interrupted && interrupt.test(screen)) {
        // SIGINT to jrt alone, as Ctrl-C would send it (Ctrl-C would also end the pane's shell).
        const shell = tmux('display', '-p', '#{pane_pid}').trim();
        const jrtPid = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(' ')[0];
        process.kill(Number(jrtPid), 'SIGINT');
        interrupted = true;
      }
    }
    return { screen, cursorVisible: tmux('display', '-p', '#{cursor_flag}').trim() === '1' };
  } finally {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
  }
}
