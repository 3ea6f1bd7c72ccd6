import { describe, expect, it } from 'vitest';
import { jrt, makeJrtEnv } from '../helpers/jrt.js';

const { env } = makeJrtEnv();
const COMMANDS = ['build', 'lock', 'install', 'exec', 'runtime', 'recipe', 'doctor'];
const SHORTCUTS = ['list', 'info', 'verify', 'remove', 'validate'];

describe('help and version from the bundle', () => {
  it.each([...COMMANDS, ...SHORTCUTS])('jrt %s --help prints usage and examples on stdout', (command) => {
    const r = jrt([command, '--help'], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Usage: jrt /);
    expect(r.stdout).toMatch(/Examples?:/i);
    expect(r.stderr).toBe('');
  });

  it('jrt --help lists every command', () => {
    const r = jrt(['--help'], { env });
    expect(r.exitCode).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('jrt without a command prints usage on stderr and exits 2', () => {
    const r = jrt([], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Usage: jrt/);
    expect(r.stdout).toBe('');
  });

  it('an unknown command is a usage error with the list of commands', () => {
    const r = jrt(['instal'], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'instal'/);
    expect(r.stderr).toMatch(/hint: commands: .*install/);
  });

  it('--version and --json --version', () => {
    const plain = jrt(['--version'], { env });
    expect(plain.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const json = jrt(['--json', '--version'], { env });
    expect(JSON.parse(json.stdout)).toEqual({ version: plain.stdout.trim() });
  });

  it('a usage error with --json puts the error document on stdout', () => {
    const r = jrt(['exec', '--json', '--runtime=java:17;id', '--', 'true'], { env });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('ERR_JRT_BAD_RUNTIME_SPEC');
  });
});
