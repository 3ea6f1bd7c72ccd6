/**
 * `jrt df`: its sums are du's (allocated blocks, each inode once), by kind and by runtime, and a
 * job's planted symlinks and hard links in a volume neither inflate nor escape them.
 */
import { execFileSync } from 'node:child_process';
import { link, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JrtHome, jrt, makeJrtHome } from '../helpers/jrt.js';
import { makeArtifact } from '../unit/artifact/fixture.js';

/** `du -sB1` of each path together (hard links across them counted once), 0 when none exist. */
function du(...paths: string[]): number {
  const out = execFileSync('du', ['-sB1', '-c', ...paths], { encoding: 'utf8' })
    .trim()
    .split('\n');
  return Number((out.at(-1) ?? '0').split('\t')[0]);
}

/** Two installed runtimes (one hard-linking a file of the other), cache, state and logs of all kinds. */
async function filledHome(): Promise<JrtHome> {
  const h = await makeJrtHome({ prefix: 'jrt-df-' });
  for (const o of [{ name: 'demo-1' }, { name: 'other-2', language: 'other' }]) {
    const a = await makeArtifact(h.home, o);
    expect((await jrt(h, ['install', a.file])).exitCode).toBe(0);
  }
  const big = Buffer.alloc(300_000, 1);
  const demoVersion = (await readdir(path.join(h.root, 'demo', '.jrt')))[0] as string;
  const otherVersion = (await readdir(path.join(h.root, 'other', '.jrt')))[0] as string;
  await writeFile(path.join(h.root, 'demo', '.jrt', demoVersion, 'shared.bin'), big);
  await link(
    path.join(h.root, 'demo', '.jrt', demoVersion, 'shared.bin'),
    path.join(h.root, 'other', '.jrt', otherVersion, 'shared.bin'),
  );
  await mkdir(path.join(h.cache, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(h.cache, 'blobs', 'sha256', 'a'.repeat(64)), Buffer.alloc(10_000, 2));
  await mkdir(path.join(h.cache, 'artifacts'), { recursive: true });
  await makeArtifact(path.join(h.cache, 'artifacts'), { name: 'demo-1' });
  await mkdir(path.join(h.cache, 'bases'), { recursive: true });
  await writeFile(path.join(h.cache, 'bases', 'bookworm@x.tar'), Buffer.alloc(50_000, 3));
  await mkdir(path.join(h.cache, 'tmp', 'build-1-abcd', 'root'), { recursive: true });
  await writeFile(path.join(h.cache, 'tmp', 'build-1-abcd', 'root', 'f'), 'x');
  await writeFile(path.join(h.cache, 'loose'), Buffer.alloc(5000, 4));
  const vol = path.join(h.state, 'volumes', 'data');
  await mkdir(vol, { recursive: true });
  await writeFile(path.join(vol, 'rows.csv'), Buffer.alloc(20_000, 5));
  // What a job can plant in its volume: links out of it, and many hard links to one file.
  await symlink('/usr', path.join(vol, 'usr'));
  await symlink('/', path.join(vol, 'root'));
  for (let i = 0; i < 50; i++) await link(path.join(vol, 'rows.csv'), path.join(vol, `again-${i}`));
  await mkdir(path.join(h.state, 'package-caches', 'demo-1'), { recursive: true });
  await writeFile(path.join(h.state, 'package-caches', 'demo-1', 'pkg'), Buffer.alloc(9000, 6));
  await mkdir(h.log, { recursive: true });
  await writeFile(path.join(h.log, 'jobs.jsonl'), '{}\n'.repeat(3000));
  await writeFile(path.join(h.log, 'build-demo-1-2026.log'), 'log\n');
  return h;
}

describe('jrt df', () => {
  it('sums every kind exactly as du -sB1 does, and a runtime into unique and hard-linked bytes', async () => {
    const h = await filledHome();
    const r = await jrt(h, ['df', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const df = JSON.parse(r.stdout);
    expect(df.runtimes.bytes).toBe(du(h.root));
    expect(df.cache.bytes).toBe(du(h.cache));
    expect(df.cache.artifacts).toBe(du(path.join(h.cache, 'artifacts')));
    expect(df.cache.blobs).toBe(du(path.join(h.cache, 'blobs')));
    expect(df.cache.bases).toBe(du(path.join(h.cache, 'bases')));
    expect(df.cache.temp).toBe(du(path.join(h.cache, 'tmp')));
    expect(df.cache.other).toBe(
      du(h.cache) -
        du(
          path.join(h.cache, 'artifacts'),
          path.join(h.cache, 'blobs'),
          path.join(h.cache, 'bases'),
          path.join(h.cache, 'tmp'),
        ),
    );
    expect(df.state.bytes).toBe(du(h.state));
    expect(df.state.volumes).toBe(du(path.join(h.state, 'volumes')));
    expect(df.state.packageCaches).toBe(du(path.join(h.state, 'package-caches')));
    expect(df.logs.bytes).toBe(du(h.log));
    expect(df.total).toBe(du(h.root, h.cache, h.state, h.log));
    const byName = Object.fromEntries(df.runtimes.items.map((i: { name: string }) => [i.name, i]));
    expect(byName['demo-1'].shared).toBe(303_104); // 300,000 bytes in 4 KiB blocks: the hard-linked file
    expect(byName['other-2'].shared).toBe(303_104);
    expect(byName['demo-1'].unique + byName['demo-1'].shared).toBe(byName['demo-1'].bytes);
    const demoVersion = (await readdir(path.join(h.root, 'demo', '.jrt')))[0] as string;
    // A runtime is its name directory and its version directories (not the language's .jrt itself).
    expect(byName['demo-1'].bytes).toBe(
      du(path.join(h.root, 'demo', 'demo-1'), path.join(h.root, 'demo', '.jrt', demoVersion)),
    );
    expect(byName['demo-1'].versions).toBe(1);
    expect(df.filesystems.length).toBeGreaterThan(0);
    expect(df.filesystems[0].holds.sort()).toEqual(['cache', 'log', 'root', 'state']);
    expect(df.filesystems[0].free).toBeGreaterThan(0);
  });

  it('follows no symlink a job planted in a volume (a link to / counts as the link)', async () => {
    const h = await filledHome();
    const df = JSON.parse((await jrt(h, ['df', '--json'])).stdout);
    // 20,000 bytes once (5 blocks), whatever links point at /usr or /.
    expect(df.state.volumes).toBeLessThan(64 * 1024);
    expect(df.state.volumes).toBe(du(path.join(h.state, 'volumes')));
  });

  it('prints a human table by kind, by runtime and by filesystem', async () => {
    const h = await filledHome();
    const r = await jrt(h, ['df']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^KIND +SIZE/m);
    expect(r.stdout).toMatch(/^demo-1 +demo /m);
    expect(r.stdout).toMatch(/^FILESYSTEM OF/m);
    expect((await jrt(h, ['df', 'extra'])).exitCode).toBe(2);
  });
});
