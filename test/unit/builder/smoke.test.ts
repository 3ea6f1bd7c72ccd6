/** The smoke test's working directory: files in subdirectories, made safely, handed to the job user. */
import { lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareWorkDir } from '../../../src/builder/smoke.js';
import { tempDir } from '../../helpers/temp.js';

const work = async () => mkdtemp(path.join(await tempDir('jrt-smoke-test-'), 'w-'));
const ownerMode = (p: string) => {
  const s = lstatSync(p);
  return `${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other'}`;
};

describe('prepareWorkDir', () => {
  it('writes files in subdirectories (src/main.rs), every directory 0700 and every file 0600, the job user’s', async () => {
    const w = await work();
    await prepareWorkDir(w, {
      'Cargo.toml': '[package]\n',
      'src/main.rs': 'fn main() {}\n',
      'src/bin/tool.rs': 'fn main() {}\n',
      'tests/it.rs': '#[test] fn t() {}\n',
    });
    expect(readFileSync(path.join(w, 'src/main.rs'), 'utf8')).toBe('fn main() {}\n');
    expect(readFileSync(path.join(w, 'src/bin/tool.rs'), 'utf8')).toBe('fn main() {}\n');
    expect(ownerMode(w)).toBe('700 65534:65534 dir');
    for (const d of ['src', 'src/bin', 'tests'])
      expect(ownerMode(path.join(w, d)), d).toBe('700 65534:65534 dir');
    for (const f of ['Cargo.toml', 'src/main.rs', 'src/bin/tool.rs', 'tests/it.rs'])
      expect(ownerMode(path.join(w, f)), f).toBe('600 65534:65534 file');
  });

  it('never writes through a link waiting under a directory’s name: the file is refused, naming it', async () => {
    const w = await work();
    const outside = await tempDir('jrt-smoke-outside-');
    symlinkSync(outside, path.join(w, 'src'));
    const err = await prepareWorkDir(w, { 'src/main.rs': 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_JRT_SMOKE_TEST' });
    expect((err as Error).message).toBe("smoke test file 'src/main.rs': src is already a file of the test");
    expect(lstatSync(path.join(w, 'src')).isSymbolicLink()).toBe(true);
    expect(() => lstatSync(path.join(outside, 'main.rs'))).toThrow(/ENOENT/);
  });

  it('refuses a name that is both a file and a directory, and a name with .. (validation refuses both first)', async () => {
    const both = await prepareWorkDir(await work(), { src: 'x', 'src/main.rs': 'y' }).catch(
      (e: unknown) => e,
    );
    expect((both as Error).message).toBe("smoke test file 'src/main.rs': src is already a file of the test");
    const reverse = await prepareWorkDir(await work(), { 'src/main.rs': 'y', src: 'x' }).catch(
      (e: unknown) => e,
    );
    expect((reverse as Error).message).toBe("smoke test file 'src': is also a directory of the test");
    const up = await prepareWorkDir(await work(), { 'a/../../x': 'y' }).catch((e: unknown) => e);
    expect((up as Error).message).toBe("smoke test file 'a/../../x': not a plain relative name");
  });
});
