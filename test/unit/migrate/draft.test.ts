/**
 * Recipe drafts (src/migrate/draft.ts) follow the rules the shipped recipes follow for Joblet
 * (docs/joblet.md): no PATH_PREPEND (Joblet's server does not apply it), and only the directories of
 * /etc the runtime needs — never all of /etc, which would hide the job host's resolv.conf and hosts.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { draftRecipe, wrappers } from '../../../src/migrate/draft.js';
import type { HostInstall } from '../../../src/migrate/types.js';
import { tempDir } from '../../helpers/temp.js';

const SHA = 'a'.repeat(64);
const install = (language: HostInstall['language'], version: string, download = false): HostInstall => ({
  language,
  version,
  source: 'usr-local',
  where: `/usr/local/${language}`,
  command: `/usr/local/bin/${language}`,
  via: [],
  ...(download
    ? { download: { url: `https://example.org/${language}-${version}.tar.gz`, sha256: SHA } }
    : {}),
});

interface DraftYml {
  environment?: Record<string, string>;
  mounts: { source: string; target: string }[];
  build?: { steps: { run: string }[] };
  runtime: { paths?: string[] };
}

function draft(i: HostInstall): DraftYml {
  const d = draftRecipe(i, new Set());
  if (!('text' in d)) throw new Error(d.problem);
  return parse(d.text) as DraftYml;
}

describe('recipe drafts for Joblet', () => {
  it.each([
    [
      'java 17 from Debian',
      install('java', '17.0.9'),
      ['/etc/alternatives', '/etc/java-17-openjdk', '/etc/ssl'],
    ],
    ['python 3.11 from Debian', install('python', '3.11.2'), ['/etc/python3.11', '/etc/ssl']],
    ['python 3.10 built from a download', install('python', '3.10.13', true), ['/etc/ssl']],
    ['go 1.19 from Debian', install('go', '1.19.8'), ['/etc/ssl']],
    ['go 1.21 from a download', install('go', '1.21.5', true), ['/etc/ssl']],
    ['rust 1.75 from a download', install('rust', '1.75.0', true), ['/etc/ssl']],
    ['node 20 from npm', install('node', '20.11.1'), ['/etc/ssl']],
  ])('%s: no PATH_PREPEND, and only the /etc directories it needs', (_, i, etc) => {
    const d = draft(i);
    expect(d.environment ?? {}).not.toHaveProperty('PATH_PREPEND');
    const targets = d.mounts.map((m) => m.target);
    expect(targets).not.toContain('/etc');
    expect(targets.filter((t) => t.startsWith('/etc'))).toEqual(etc);
    for (const m of d.mounts.filter((x) => x.target.startsWith('/etc/')))
      expect(m.source).toBe(`rootfs${m.target}`);
  });

  it('puts go and gofmt on the default PATH with wrappers a build step writes', () => {
    const debian = draft(install('go', '1.19.8'));
    expect(debian.runtime.paths).toEqual(['/usr/bin/go', '/usr/bin/gofmt']);
    expect(debian.build?.steps[0]?.run).toContain('exec /usr/lib/go-1.19/bin/go "$@"');
    const download = draft(install('go', '1.21.5', true));
    expect(download.runtime.paths).toEqual(['/usr/local/go', '/usr/local/bin/go', '/usr/local/bin/gofmt']);
  });

  it("a wrapper runs the real tool with the caller's arguments", async () => {
    const dir = await tempDir('jrt-draft-');
    await mkdir(path.join(dir, 'bin'));
    await mkdir(path.join(dir, 'real'));
    await writeFile(path.join(dir, 'real', 'go'), '#!/bin/sh\necho "real go: $*"\n', { mode: 0o755 });
    const w = wrappers(path.join(dir, 'bin'), path.join(dir, 'real'), ['go']);
    execFileSync('/bin/sh', ['-e', '-c', w.steps[0]!.run]);
    expect(await readFile(path.join(dir, 'bin', 'go'), 'utf8')).toMatch(/^#!\/bin\/sh\n/);
    expect(execFileSync(path.join(dir, 'bin', 'go'), ['version', 'a b']).toString()).toBe(
      'real go: version a b\n',
    );
  });
});
