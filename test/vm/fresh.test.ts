/**
 * A fresh Debian 12 machine. First, the README's first command there: a bookworm VM with only systemd,
 * sshd, git and Node.js 20, a clone of the committed checkout (as CI has it), and the command exactly
 * as README.md says it today. It installs the prerequisites, builds java-17 from the Debian mirror and
 * runs the Java job. jrt's cache, apt's archives and npm's cache are shared from the host
 * (JRT_VM_CACHE/shared/bookworm), so a warm run reuses downloads and the cached build root; the
 * machine itself is new every time. Then the builder across machines: `jrt build` of one recipe in
 * the VM gives the same bytes as on this host.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeJrtHome, REPO, requireRoot, runJrt } from '../helpers/jrt.js';
import { tempDir } from '../helpers/temp.js';
import { ensureImage, VM_CACHE } from './image.js';
import { bootVm, type Vm } from './machine.js';

/** The first ```sh block after the "## Two commands" heading. */
function readmeFirstCommand(readme: string): string {
  const section = readme.split(/^## Two commands$/m)[1] ?? '';
  const block = /```sh\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Two commands"');
  return block.trim();
}

/** The recipe built on both sides: the smallest (an npm tarball on a bookworm closure). */
const RECIPE = 'node-18';

describe('a fresh Debian 12 VM', { timeout: 120 * 60_000 }, () => {
  let vm: Vm | undefined;
  afterAll(async () => {
    await vm?.stop();
  });
  const CLONE = '[ -d /root/jrt ] || git clone --quiet /src/jrt /root/jrt';

  it("the README's first command installs java-17 and runs the Java job", async () => {
    requireRoot('qemu, mmdebstrap');
    const command = readmeFirstCommand(readFileSync(path.join(REPO, 'README.md'), 'utf8'));
    const src = await tempDir('jrt-vm-src-');
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO, path.join(src, 'jrt')]);
    const image = await ensureImage('bookworm', 'fresh', (l) => process.stderr.write(`${l}\n`));
    const shared = path.join(VM_CACHE, 'shared', 'bookworm');
    vm = await bootVm(
      image,
      [
        { host: src, guest: '/src', readonly: true },
        { host: path.join(shared, 'jrt'), guest: '/var/cache/jrt' },
        { host: path.join(shared, 'apt'), guest: '/var/cache/apt/archives' },
        { host: path.join(shared, 'npm'), guest: '/root/.npm' },
      ],
      { memoryMiB: 4096 },
    );
    process.stderr.write(`test/vm: fresh bookworm booted in ${vm.bootMs} ms\n`);
    const start = Date.now();
    const r = await vm.run(`${CLONE} && cd /root/jrt && ${command}`, {
      timeoutMs: 110 * 60_000,
    });
    process.stderr.write(
      `test/vm: the README's first command took ${Date.now() - start} ms in the fresh VM\n`,
    );
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('Hello from Java 17 in a jrt runtime: 2 jobs, 3 cpus');
  });

  it(`jrt build ${RECIPE} in the VM gives the same bytes as on this host`, async () => {
    if (!vm) throw new Error('the VM did not boot (see the test above)');
    const inVm = await vm.run(
      `${CLONE} && cd /root/jrt && bash ci/setup.sh >/dev/null && rm -rf /tmp/out && node dist/jrt.cjs build recipes/${RECIPE}.yml --locked --out /tmp/out >/dev/null && sha256sum /tmp/out/*.jrt.tar.gz`,
      { timeoutMs: 60 * 60_000 },
    );
    expect(inVm.exitCode, inVm.stderr).toBe(0);
    // The host's build has its own cache (never the VM's): two machines, two build roots.
    const t = await makeJrtHome({ prefix: 'jrt-vm-host-', cache: path.join(VM_CACHE, 'host-jrt-cache') });
    try {
      const out = path.join(t.home, 'out');
      const r = await runJrt(
        ['build', path.join(REPO, 'recipes', `${RECIPE}.yml`), '--locked', '--out', out],
        {
          env: t.env,
          timeoutMs: 60 * 60_000,
        },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const [name] = readdirSync(out).filter((f) => f.endsWith('.jrt.tar.gz'));
      const sha = createHash('sha256')
        .update(readFileSync(path.join(out, name as string)))
        .digest('hex');
      expect(inVm.stdout.trim()).toBe(`${sha}  /tmp/out/${name}`);
    } finally {
      await t.dispose();
    }
  });
});
