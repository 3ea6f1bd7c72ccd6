/**
 * A finished build root is attacker input (issue 19, items 1 and 7): its steps ran the recipe's
 * code, so every path read from it — a recipe's runtime.paths, a line of dpkg's file lists, a
 * top-level link — must be resolved inside it. These cases collect from a small root the way a
 * build does, with a host directory next to it holding a secret, and check that nothing of the host
 * reaches the runtime tree and nothing is written outside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { collectRuntime } from '../../src/builder/collect.js';
import { walkTree } from '../../src/core/tree-walk.js';
import { validateRecipe } from '../../src/recipe/validate.js';
import { writeDpkgDb, writeTree } from '../fixtures/closure/fake-root.js';
import { REPO } from '../helpers/jrt.js';
import { tempDir } from '../helpers/temp.js';

const SECRET = 'host secret, mode 0600\n';
let host: string; // a host directory outside the build root, with a secret in it
let buildRoot: string;
let outTree: string;

beforeEach(async () => {
  host = await tempDir('jrt-host-');
  await writeFile(path.join(host, 'shadow'), SECRET, { mode: 0o600 });
  buildRoot = await tempDir('jrt-buildroot-');
  outTree = path.join(await tempDir('jrt-out-'), 'rootfs');
  // A merged-usr root with one package, and what a step made: `ln -s / /h`.
  await writeTree(buildRoot, {
    '/bin': { link: 'usr/bin' },
    '/usr/bin/tool': 'tool',
    '/etc/shadow': 'the build root’s own shadow\n',
    '/h': { link: '/' },
  });
  await writeDpkgDb(buildRoot, { tool: { owns: ['/usr/bin/tool'] } });
});

const collect = (paths: string[] = [], into = outTree) =>
  collectRuntime({
    buildRoot,
    outTree: into,
    packages: ['tool'],
    exclude: [],
    buildOnly: [],
    paths,
    strip: { docs: false, locales: [], static_libs: false, pycache: false, paths: [] },
  });

/** Every file of the tree whose content is the host's secret. */
async function secretsInTree(): Promise<string[]> {
  const found: string[] = [];
  if (!existsSync(outTree)) return found;
  for (const e of await walkTree(outTree))
    if (e.type === 'file' && (await readFile(path.join(outTree, e.path), 'utf8')) === SECRET)
      found.push(e.path);
  return found;
}

/** `/x/../h/<host>/shadow`: x does not exist, h -> / in the root. */
const viaMissingDir = () => `/x/../h${host}/shadow`;

describe('item 1: paths from a recipe or a file list are resolved inside the build root', () => {
  it('runtime.paths /x/../h/…/shadow with a step’s h -> / is refused; the host file never reaches the tree', async () => {
    const r = collect([viaMissingDir()]);
    await expect(r).rejects.toMatchObject({ code: 'ERR_JRT_CLOSURE_PATH_UNSAFE' });
    await expect(r).rejects.toThrow(`runtime path ${viaMissingDir()} is not a plain absolute path`);
    expect(await secretsInTree()).toEqual([]);
  });

  it('runtime.paths /h/…/shadow resolves in the root (h -> / is the root itself): missing there, not the host’s', async () => {
    await expect(collect([`/h${host}/shadow`])).rejects.toMatchObject({
      code: 'ERR_JRT_CLOSURE_PATH_MISSING',
    });
    expect(await secretsInTree()).toEqual([]);
    // The root's own file is what /h/etc/shadow names.
    const again = path.join(await tempDir('jrt-out-'), 'rootfs');
    await collect(['/h/etc/shadow'], again);
    expect(await readFile(path.join(again, 'etc/shadow'), 'utf8')).toBe('the build root’s own shadow\n');
  });

  it('a line a step appends to dpkg’s file list (/x/../h/…/shadow) is refused, naming the package and the line', async () => {
    await appendFile(path.join(buildRoot, 'var/lib/dpkg/info/tool.list'), `${viaMissingDir()}\n`);
    const r = collect();
    await expect(r).rejects.toMatchObject({ code: 'ERR_JRT_CLOSURE_PATH_UNSAFE' });
    await expect(r).rejects.toThrow(`dpkg's file list of tool holds '${viaMissingDir()}'`);
    expect(await secretsInTree()).toEqual([]);
  });

  it('dpkg’s info directory replaced by an absolute link to a host directory is read inside the root', async () => {
    // The host directory holds a file list naming the root's /etc/shadow: read from the host, the
    // closure would take it; read inside the root, the link leads nowhere and tool has no list.
    await mkdir(path.join(host, 'info'));
    await writeFile(path.join(host, 'info/tool.list'), '/etc\n/etc/shadow\n');
    await writeTree(buildRoot, { '/var/lib/dpkg/info.tmp': { link: path.join(host, 'info') } });
    const { rename, rm } = await import('node:fs/promises');
    await rm(path.join(buildRoot, 'var/lib/dpkg/info'), { recursive: true });
    await rename(path.join(buildRoot, 'var/lib/dpkg/info.tmp'), path.join(buildRoot, 'var/lib/dpkg/info'));
    await expect(collect()).rejects.toMatchObject({ code: 'ERR_JRT_CLOSURE_NO_DPKG' });
    expect(existsSync(path.join(outTree, 'etc/shadow'))).toBe(false);
  });
});

describe('item 7: top-level links of the build root stay inside the tree', () => {
  it('a link /zz -> /usr/../../…/made is not mirrored: nothing is created outside the tree', async () => {
    const target = `/usr/${'../'.repeat(20)}${host.slice(1)}/made`;
    await writeTree(buildRoot, { '/zz': { link: target } });
    await collect();
    expect(existsSync(path.join(host, 'made'))).toBe(false);
    // The real merged-usr link is still mirrored.
    expect(existsSync(path.join(outTree, 'bin'))).toBe(true);
    expect(existsSync(path.join(outTree, 'zz'))).toBe(false);
  });
});

describe('recipe fields that name paths are plain paths', () => {
  const tiny = readFileSync(path.join(REPO, 'test/fixtures/recipes/build/tiny.yml'), 'utf8');
  const errorsOf = (text: string) => {
    const r = validateRecipe(text, 'tiny.yml');
    return 'errors' in r ? r.errors.map((e) => `${e.path}: ${e.message}`) : [];
  };

  it("runtime.paths with '..' (/x/../h/etc/shadow), '.' or an empty component are refused by validation", () => {
    for (const p of ['/x/../h/etc/shadow', '/opt/./x', '/opt//x', '/opt/x/'])
      expect(
        errorsOf(
          tiny.replace('packages: [dash, coreutils]', `packages: [dash, coreutils]\n  paths: ["${p}"]`),
        ),
      ).toEqual([
        "runtime.paths[0]: must be an absolute path with no '.', '..' or empty component, like /opt/app",
      ]);
  });

  it("test.files keys '.' and 'lib/' (0.2.0 validated them, then the build crashed with EISDIR) are refused", () => {
    for (const key of ['.', 'lib/', 'a/./b'])
      expect(errorsOf(`${tiny}    files: { "${key}": "x" }\n`)).toEqual([
        `test[0].files["${key}"]: must name a file: no '.' or empty component (like lib/data.txt)`,
      ]);
  });
});
