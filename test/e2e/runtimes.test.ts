/**
 * End to end, from the real Debian mirror and npm registry: install every runtime this machine can
 * build, then run a real program in each through `jrt exec`, verify, remove one, and check the
 * host is unchanged. Slow (a cold run builds everything); JRT_E2E_CACHE keeps downloads.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JrtHome, makeJrtHome, REPO, requireRoot, runJrt } from '../helpers/jrt.js';
import { inOutsideWorld, OUTSIDE } from '../helpers/outside-network.js';
import { tempDirSync } from '../helpers/temp.js';

const PROGRAMS = path.join(REPO, 'test/fixtures/programs');
const BUILDABLE = ['java-17', 'java-21', 'node-18', 'python-3.11', 'python-3.11-ml', 'python-3.13'];

let t: JrtHome;
let hostBefore: HostSnapshot;

interface HostSnapshot {
  packages: string;
  usr: string;
  mounts: string[];
}

function snapshotHost(): HostSnapshot {
  return {
    packages: execFileSync('dpkg-query', ['-W', '-f', `\${Package} \${Version} \${Status}\n`], {
      encoding: 'utf8',
    }),
    // Names, sizes and mtimes of everything in /usr: any install or upgrade changes it.
    usr: execFileSync('sh', ['-c', "find /usr -xdev -printf '%p %s %T@\\n' | sort | sha256sum"], {
      encoding: 'utf8',
    }),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m !== '')
      .sort(),
  };
}

function workDir(...files: string[]): string {
  // Private (0700, root's), as an operator's project directory is: the job still reads and writes it.
  const dir = tempDirSync('jrt-e2e-job-');
  for (const f of files) copyFileSync(path.join(PROGRAMS, f), path.join(dir, f));
  return dir;
}

function exec(spec: string, args: string[], cwd: string) {
  return runJrt(['exec', `--runtime=${spec}`, '--memory', '2g', '--timeout', '300s', ...args], {
    env: t.env,
    cwd,
    timeoutMs: 320_000,
  });
}

beforeAll(async () => {
  requireRoot();
  hostBefore = snapshotHost();
  t = await makeJrtHome({
    prefix: 'jrt-e2e-',
    cache: process.env.JRT_E2E_CACHE,
    extra: { JRT_RECIPES: path.join(REPO, 'recipes') },
  });
  // A kept cache may hold base roots and downloads, never finished artifacts: every runtime is built here.
  execFileSync('rm', ['-rf', path.join(t.env.JRT_CACHE as string, 'artifacts')]);
  const r = await runJrt(['install', '--all', '--json'], { env: t.env, timeoutMs: 50 * 60_000 });
  expect(r.exitCode, `jrt install --all failed:\n${r.stderr.slice(-4000)}`).toBe(0);
  const report = JSON.parse(r.stdout) as { runtimes: { name: string; result: string; error?: string }[] };
  const installed = report.runtimes.filter((x) => x.result === 'installed').map((x) => x.name);
  expect(installed.sort()).toEqual(BUILDABLE);
  // python.org is not reachable from here: --all says so and goes on.
  const skipped = report.runtimes.filter((x) => x.result === 'skipped');
  expect(skipped.map((x) => x.name)).toEqual(['python-3.12']);
  expect(skipped[0]?.error).toContain('www.python.org');
}, 55 * 60_000);

afterAll(async () => {
  await t?.dispose();
});

describe('jrt install --all', () => {
  it('lists every runtime', async () => {
    const r = await runJrt(['runtime', 'list', '--json'], { env: t.env });
    expect(r.exitCode).toBe(0);
    const names = (JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name).sort();
    expect(names).toEqual(BUILDABLE);
  });

  it(
    'changes nothing when run again',
    async () => {
      const r = await runJrt(['install', '--all', '--json'], { env: t.env, timeoutMs: 20 * 60_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { runtimes: { name: string; result: string }[] };
      const results = new Map(report.runtimes.map((x) => [x.name, x.result]));
      expect(results.get('python-3.12')).toBe('skipped');
      results.delete('python-3.12');
      expect(
        [...results.values()].every((x) => x === 'unchanged'),
        r.stdout,
      ).toBe(true);
    },
    20 * 60_000,
  );
});

describe('real programs in real runtimes', () => {
  it('java:17 compiles and runs a class with a record', async () => {
    const r = await exec('java:17', ['Main.java'], workDir('Main.java'));
    expect(r.stderr).not.toMatch(/jrt:/);
    expect(r.stdout).toContain('Hello from Java 17 in a jrt runtime: 2 jobs, 3 cpus');
    expect(r.exitCode).toBe(0);
  });

  it("javac and java in the operator's private directory: the class and output are the directory owner's", async () => {
    // root's 0700 directory, then a 0700 directory of uid 1000 (a `sudo jrt exec` from that user's home).
    for (const owner of [0, 1000]) {
      const dir = workDir('Main.java');
      execFileSync('chown', ['-R', `${owner}:${owner}`, dir]);
      const r = await exec('java:17', ['--', 'sh', '-c', 'javac Main.java && java Main > out.txt'], dir);
      expect(r.stderr).not.toMatch(/jrt:/);
      expect(r.exitCode).toBe(0);
      for (const f of ['Main.class', 'out.txt']) {
        expect(statSync(path.join(dir, f)), `${f} (owner ${owner})`).toMatchObject({
          uid: owner,
          gid: owner,
        });
      }
      expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toContain('Hello from Java 17');
    }
  });

  it('java:17 has Maven', async () => {
    const r = await exec('java:17', ['--', 'mvn', '-v'], workDir());
    expect(r.stdout).toMatch(/Apache Maven 3/);
    expect(r.exitCode).toBe(0);
  });

  it('java:21 runs record patterns, sealed types and virtual threads', async () => {
    const r = await exec('java:21', ['Modern.java'], workDir('Modern.java'));
    expect(r.stdout).toContain('big circle, square 3, virtual threads: 1000, java 21');
    expect(r.exitCode).toBe(0);
  });

  it('python:3.11+ml fits and scores a scikit-learn model on pandas data', async () => {
    const r = await exec('python:3.11+ml', ['train.py'], workDir('train.py'));
    expect(r.stdout).toMatch(/rows=600 accuracy=0\.[89]\d\d/);
    expect(r.stdout).toContain('model-ok');
    expect(r.exitCode).toBe(0);
  });

  it('python:3.13 and python:3.11 (built from source) run the standard library', async () => {
    for (const [spec, version] of [
      ['python:3.13', '3.13'],
      ['python-3.11', '3.11.2'],
    ] as const) {
      const r = await exec(spec, ['stdlib.py'], workDir('stdlib.py'));
      expect(r.exitCode, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { python: string; digest: string; tls: boolean };
      expect(out.python.startsWith(version)).toBe(true);
      expect(out.digest).toBe('4343f4d3eba6');
      expect(out.tls).toBe(true);
    }
  });

  it('node:18 runs a program, its test runner and npm', async () => {
    const dir = workDir('hello.js', 'math.test.js');
    const hello = await exec('node:18', ['hello.js'], dir);
    expect(hello.stdout).toContain('node v18.20.8 on linux: ');
    expect(hello.exitCode).toBe(0);
    const tests = await exec('node:18', ['--', 'node', '--test', 'math.test.js'], dir);
    expect(tests.stdout).toMatch(/# pass 2/);
    expect(tests.exitCode).toBe(0);
    const npm = await exec('node:18', ['--', 'npm', '-v'], dir);
    expect(npm.stdout.trim()).toMatch(/^10\.\d+\.\d+$/);
  });
});

describe('networks', () => {
  it('node:18 with --network=web fetches from a server outside its sandbox, with slirp4netns DNS', async () => {
    // The server listens on 198.18.0.1 in a network namespace next to the one jrt runs in, both made
    // by this test (test/helpers/outside-network.ts): no traffic leaves the machine.
    const dir = workDir('web.js');
    const server = `mkdir www && echo served-to-a-web-job > www/index.txt && python3 -m http.server --bind ${OUTSIDE.benchmark} --directory www 8765 >/dev/null 2>&1 &
until python3 -c 'import socket; socket.create_connection(("${OUTSIDE.benchmark}", 8765), 1)' 2>/dev/null; do sleep 0.1; done
echo listening; wait`;
    const r = await runJrt(
      ['exec', '--runtime=node:18', '--network=web', 'web.js', `http://${OUTSIDE.benchmark}:8765/index.txt`],
      { env: t.env, cwd: dir, timeoutMs: 60_000, wrapper: inOutsideWorld(server) },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      status: 200,
      body: 'served-to-a-web-job',
      nameservers: ['nameserver 10.0.2.3'],
    });
  });
});

describe('management and cleanliness', () => {
  it('verifies every installed runtime', async () => {
    const r = await runJrt(['runtime', 'verify', '--json'], { env: t.env, timeoutMs: 600_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  }, 600_000);

  it('jrt gc on the real cache and runtimes removes only what nothing needs: every locked input stays, every runtime verifies and runs', async () => {
    // What the committed locks pin, read from the lock files themselves (not from gc's own reading).
    const recipes = path.join(REPO, 'recipes');
    const pinned = readdirSync(recipes)
      .filter((f) => f.endsWith('.lock.json'))
      .flatMap((f) => {
        const lock = JSON.parse(readFileSync(path.join(recipes, f), 'utf8'));
        return [...lock.base, ...lock.packages, ...lock.sources].map((i: { sha256: string }) => i.sha256);
      });
    expect(pinned.length).toBeGreaterThan(100);
    const blob = (sha: string) => path.join(t.env.JRT_CACHE as string, 'blobs', 'sha256', sha);
    const removedPaths = (stdout: string) =>
      (JSON.parse(stdout) as { removed: { path: string }[] }).removed.map((i) => i.path).sort();

    // Those in the cache now (a lock's base packages live in the base root, not as blobs; python-3.12's
    // tarball was never fetched): every one of them must still be there after gc.
    const cached = pinned.filter((sha) => existsSync(blob(sha)));
    expect(cached.length).toBeGreaterThan(100);
    const dry = await runJrt(['gc', '--dry-run', '--json'], { env: t.env, timeoutMs: 600_000 });
    expect(dry.exitCode, dry.stderr).toBe(0);
    const planned = removedPaths(dry.stdout);
    for (const sha of pinned) expect(planned).not.toContain(blob(sha));
    const gc = await runJrt(['gc', '--json'], { env: t.env, timeoutMs: 600_000 });
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect(removedPaths(gc.stdout)).toEqual(planned);
    for (const sha of cached) expect(existsSync(blob(sha)), sha).toBe(true);

    const verify = await runJrt(['runtime', 'verify', '--json'], { env: t.env, timeoutMs: 600_000 });
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    const dir = workDir('Main.java');
    const job = await exec('java:17', ['Main.java'], dir);
    expect(job.exitCode, job.stderr).toBe(0);
    expect(job.stdout).toContain('Hello from Java 17');
  }, 1_200_000);

  it('removes a runtime', async () => {
    const r = await runJrt(['runtime', 'remove', 'python-3.13'], { env: t.env });
    expect(r.exitCode, r.stderr).toBe(0);
    const list = JSON.parse((await runJrt(['runtime', 'list', '--json'], { env: t.env })).stdout) as {
      name: string;
    }[];
    expect(list.map((x) => x.name)).not.toContain('python-3.13');
  });

  it('left the host unchanged: packages, /usr and mounts', async () => {
    const after = snapshotHost();
    expect(after.packages).toBe(hostBefore.packages);
    expect(after.usr).toBe(hostBefore.usr);
    expect(after.mounts).toEqual(hostBefore.mounts);
  });
});
