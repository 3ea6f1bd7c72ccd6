import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JrtHome, makeJrtHome, runJrt } from '../helpers/jrt.js';

let h: JrtHome;
beforeAll(async () => {
  h = await makeJrtHome({ prefix: 'jrt-help-' });
});
afterAll(() => h.dispose());
const jrt = (args: string[]) => runJrt(args, { env: h.env });
const COMMANDS = [
  'build',
  'lock',
  'install',
  'exec',
  'runtime',
  'recipe',
  'doctor',
  'migrate',
  'uninstall',
  'df',
  'gc',
  'volume',
  'jobs',
];
const SHORTCUTS = ['list', 'info', 'verify', 'remove', 'validate'];

describe('help and version from the bundle', () => {
  it.each([...COMMANDS, ...SHORTCUTS])(
    'jrt %s --help prints usage and examples on stdout',
    async (command) => {
      const r = await jrt([command, '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/Usage: jrt /);
      expect(r.stdout).toMatch(/Examples?:/i);
      expect(r.stderr).toBe('');
    },
  );

  it('jrt --help lists every command', async () => {
    const r = await jrt(['--help']);
    expect(r.exitCode).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('jrt without a command prints usage on stderr and exits 2', async () => {
    const r = await jrt([]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Usage: jrt/);
    expect(r.stdout).toBe('');
  });

  it('an unknown command is a usage error with the list of commands', async () => {
    const r = await jrt(['instal']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'instal'/);
    expect(r.stderr).toMatch(/hint: commands: .*install/);
  });

  it('--version and --json --version', async () => {
    const plain = await jrt(['--version']);
    expect(plain.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const json = await jrt(['--json', '--version']);
    expect(JSON.parse(json.stdout)).toEqual({ version: plain.stdout.trim() });
  });

  it('a usage error with --json puts the error document on stdout', async () => {
    const r = await jrt(['exec', '--json', '--runtime=java:17;id', '--', 'true']);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('ERR_JRT_BAD_RUNTIME_SPEC');
  });
});
